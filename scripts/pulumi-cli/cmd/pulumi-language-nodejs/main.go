// Command pulumi-language-nodejs is a minimal Node.js language host for the
// pinned Pulumi CLI that scripts/ensure-pulumi builds.
//
// Why it exists: the upstream language host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) that has
// no tags; the Go module proxy available to this project refuses every version
// of it (including the pseudo-version of the v3.248.0 release commit), so it
// cannot be built here. This host implements the part of the LanguageRuntime
// gRPC service that the CLI needs to run a JavaScript/TypeScript program
// (`pulumi preview/up/refresh/destroy`, the Automation API's local workspace,
// `pulumi about`, `pulumi install`): it starts
// `node <@pulumi/pulumi>/cmd/run <program>` exactly the way the upstream host
// does (same flags and PULUMI_* environment variables), so the program and the
// dynamic-provider machinery of the @pulumi/pulumi npm SDK run unchanged.
//
// Not implemented (the CLI reports "unimplemented"): code generation
// (`pulumi convert`, `pulumi package gen-sdk`), `pulumi new` templating,
// running Node.js policy packs and Node.js provider plugins (RunPlugin), Pack
// and Link.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Exit code used by @pulumi/pulumi/cmd/run when it has already reported the
// error to the user; the engine must then not print anything further.
const exitCodeAlreadyReported = 32

func main() {
	engineAddress, tracing := parseArgs(os.Args[1:])

	host := &nodeHost{engineAddress: engineAddress, tracing: tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	exitWhenEngineGone(engineAddress)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

// programs are the Node.js programs this host is running, so that they can be
// ended with it.
var programs = struct {
	sync.Mutex
	running map[*exec.Cmd]struct{}
}{running: map[*exec.Cmd]struct{}{}}

func runProgram(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	programs.Lock()
	programs.running[cmd] = struct{}{}
	programs.Unlock()
	defer func() {
		programs.Lock()
		delete(programs.running, cmd)
		programs.Unlock()
	}()
	return cmd.Wait()
}

// exitWhenEngineGone ends this host, and the programs it runs, once the engine
// stops answering: a CLI killed with SIGKILL (a CI runner at its time limit, an
// out-of-memory kill) never tells its plugins, which would otherwise run on.
// Upstream plugins watch the engine the same way.
func exitWhenEngineGone(engineAddress string) {
	if engineAddress == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := rpcutil.Healthcheck(ctx, engineAddress, 2*time.Second, cancel)
	if err != nil {
		return
	}
	go func() {
		<-ctx.Done()
		programs.Lock()
		for cmd := range programs.running {
			_ = cmd.Process.Kill()
		}
		programs.Unlock()
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs: the engine is gone; exiting")
		os.Exit(1)
	}()
}

// parseArgs accepts the arguments the engine passes to language plugins:
// optional logging/tracing flags (`--logtostderr`, `-v=N`, `--tracing URL`,
// `-root DIR`, ...) followed by the engine address as the last positional
// argument. Unknown flags are ignored rather than fatal.
func parseArgs(args []string) (engineAddress, tracing string) {
	takesValue := map[string]bool{"tracing": true, "root": true, "v": true, "binary": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			engineAddress = a
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if !hasValue && takesValue[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		if name == "tracing" {
			tracing = value
		}
	}
	return engineAddress, tracing
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
}

func (h *nodeHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// programLocation returns the absolute program directory and the entry point
// (relative to it, "." meaning "use package.json's main/exports").
func programLocation(info *pulumirpc.ProgramInfo, pwd, program string) (string, string) {
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = pwd
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = program
	}
	if entry == "" {
		entry = "."
	}
	return dir, entry
}

func stringOption(opts *structpb.Struct, key string) string {
	if v, ok := opts.GetFields()[key]; ok {
		return v.GetStringValue()
	}
	return ""
}

func boolOption(opts *structpb.Struct, key string, def bool) bool {
	if v, ok := opts.GetFields()[key]; ok {
		if _, isBool := v.GetKind().(*structpb.Value_BoolValue); isBool {
			return v.GetBoolValue()
		}
	}
	return def
}

func nodeBinary() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New("could not find node on the $PATH; install Node.js (https://nodejs.org)")
	}
	return node, nil
}

// resolveFrom asks Node.js to resolve a module the way the program would, from dir.
func resolveFrom(ctx context.Context, node, dir, module string) (string, error) {
	script := "process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))"
	cmd := exec.CommandContext(ctx, node, "-e", script, module, dir)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not resolve %s from %s: %w: %s", module, dir, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir, entry := programLocation(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	opts := req.GetInfo().GetOptions()

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath, err = resolveFrom(ctx, node, dir, "@pulumi/pulumi/cmd/run")
		if err != nil {
			return &pulumirpc.RunResponse{Error: "It looks like the Pulumi SDK has not been installed. " +
				"Have you run npm install or yarn install? (" + err.Error() + ")"}, nil
		}
	}

	var args []string
	args = append(args, strings.Fields(stringOption(opts, "nodeargs"))...)
	args = append(args, runPath)
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		flag("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	flag("tracing", h.tracing)
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(boolOption(opts, "typescript", true)),
	)
	if tsconfig := stringOption(opts, "tsconfig"); tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := runProgram(cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code := exitErr.ExitCode()
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return &pulumirpc.RunResponse{Error: "Program exited due to signal " + ws.Signal().String()}, nil
			}
			if code == exitCodeAlreadyReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// packageJSON holds the fields of a package.json this host cares about.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &p, nil
}

// requiredPlugins lists the resource plugins declared (`"pulumi": {"resource": true}`)
// by the packages installed in the node_modules directories visible from dir.
// Unlike the upstream host it does not descend into nested node_modules.
func requiredPlugins(dir string) []*pulumirpc.PluginDependency {
	seen := map[string]bool{}
	var plugins []*pulumirpc.PluginDependency
	consider := func(pkgDir string) {
		p, err := readPackageJSON(filepath.Join(pkgDir, "package.json"))
		if err != nil || !p.Pulumi.Resource {
			return
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
		}
		ver := p.Pulumi.Version
		if ver == "" {
			ver = p.Version
		}
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		if ver != "" && !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: name, Kind: "resource", Version: ver, Server: p.Pulumi.Server,
		})
	}
	for d := dir; ; {
		nm := filepath.Join(d, "node_modules")
		entries, _ := os.ReadDir(nm)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "@") {
				scoped, _ := os.ReadDir(filepath.Join(nm, e.Name()))
				for _, s := range scoped {
					consider(filepath.Join(nm, e.Name(), s.Name()))
				}
			} else if !strings.HasPrefix(e.Name(), ".") {
				consider(filepath.Join(nm, e.Name()))
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return plugins
}

func (h *nodeHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir, _ := programLocation(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: requiredPlugins(dir)}, nil
}

func (h *nodeHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir, _ := programLocation(req.GetInfo(), "", "")
	var pkgs []*pulumirpc.PackageDependency
	for _, p := range requiredPlugins(dir) {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *nodeHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBinary()
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *nodeHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir, _ := programLocation(req.GetInfo(), req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return &pulumirpc.GetProgramDependenciesResponse{}, nil
		}
		return nil, err
	}
	declared := map[string]string{}
	for k, v := range p.DevDependencies {
		declared[k] = v
	}
	for k, v := range p.Dependencies {
		declared[k] = v
	}
	names := make([]string, 0, len(declared))
	for k := range declared {
		names = append(names, k)
	}
	sort.Strings(names)
	var deps []*pulumirpc.DependencyInfo
	for _, name := range names {
		ver := declared[name]
		if installed, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json")); err == nil &&
			installed.Version != "" {
			ver = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: ver})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *nodeHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// InstallDependencies runs the project's package manager (npm unless the
// `packagemanager` runtime option or a lock file says otherwise) and streams
// its output back to the engine.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir, _ := programLocation(req.GetInfo(), req.GetDirectory(), "") //nolint:staticcheck
	pm := stringOption(req.GetInfo().GetOptions(), "packagemanager")
	if pm == "" || pm == "auto" {
		pm = "npm"
		for _, lt := range [][2]string{{"yarn.lock", "yarn"}, {"pnpm-lock.yaml", "pnpm"}, {"bun.lock", "bun"}} {
			if _, err := os.Stat(filepath.Join(dir, lt[0])); err == nil {
				pm = lt[1]
				break
			}
		}
	}
	bin, err := exec.LookPath(pm)
	if err != nil {
		return fmt.Errorf("could not find %s on the $PATH: %w", pm, err)
	}
	cmd := exec.CommandContext(server.Context(), bin, "install")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	send := func(r io.Reader, isErr bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := append(sc.Bytes(), '\n')
			resp := &pulumirpc.InstallDependenciesResponse{Stdout: line}
			if isErr {
				resp = &pulumirpc.InstallDependenciesResponse{Stderr: line}
			}
			mu.Lock()
			_ = server.Send(resp)
			mu.Unlock()
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); send(stdout, false) }()
	go func() { defer wg.Done(); send(stderr, true) }()
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s install failed: %w", pm, err)
	}
	return nil
}
