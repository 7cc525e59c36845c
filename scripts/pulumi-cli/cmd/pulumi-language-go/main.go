// Command pulumi-language-go is a minimal Go language host for the pinned
// Pulumi CLI that scripts/ensure-pulumi builds.
//
// Why it exists: Pulumi's Go language host is its own Go module
// (github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3), and the Go module
// proxy available to this project refuses it, as it refuses the Node.js one
// (see ../pulumi-language-nodejs). The Go SDK (github.com/pulumi/pulumi/sdk/v3)
// is served, so a Go Pulumi program only needs a host that builds it and runs
// it the way the SDK's pulumi.Run expects.
//
// What it does, for `pulumi preview/up/refresh/destroy`:
//   - Run: `go build -o <temporary file> .` in the program directory, then runs
//     that binary with the environment pulumi.Run reads (sdk/go/pulumi/run.go
//     at v3.248.0: PULUMI_MONITOR, PULUMI_ENGINE, PULUMI_PROJECT, PULUMI_STACK,
//     PULUMI_ORGANIZATION, PULUMI_ROOT_DIRECTORY, PULUMI_CONFIG,
//     PULUMI_CONFIG_SECRET_KEYS, PULUMI_DRY_RUN, PULUMI_PARALLEL). A failed
//     build fails the run with the compiler's output as the error; exit code
//     32 (the SDK's "error already reported") bails quietly, as upstream.
//   - GetRequiredPackages/GetRequiredPlugins: the resource plugins named by a
//     pulumi-plugin.json ({"resource": true, "name": ..., "version": ...}) at
//     the root, in go/ or go/*/ or */ of each module the program's go.mod
//     requires (found with `go mod edit -json` and `go list -m -json`), the
//     rule upstream follows. Unlike upstream, a github.com/pulumi/pulumi-*
//     module without pulumi-plugin.json is not guessed to be a provider, and a
//     pseudo-version is reported as no version rather than rounded down.
//     Measured with CLI 3.248.0 (automatic plugin acquisition off, a stub
//     pulumi-resource-narrative on PATH, a Go program registering
//     narrative:index:JobRerun): the engine does not need this list. With an
//     empty list it loads the default provider when the first narrative
//     resource arrives and the update succeeds; without the plugin, both ways
//     fail at that resource with "no resource plugin 'pulumi-resource-narrative'
//     found". With the list (a required module whose pulumi-plugin.json names
//     narrative 0.1.0) the default provider is the reported version
//     (default_0_1_0, "... found in the workspace at version v0.1.0"), which is
//     what lets the engine pick, or download where acquisition is on, the
//     version the SDK was generated for.
//   - InstallDependencies: `go mod download` (upstream runs `go mod tidy`).
//   - About, GetProgramDependencies (from `go mod edit -json`),
//     GetPluginInfo, Handshake, RuntimeOptionsPrompts.
//
// Cancellation and ending: a cancelled Run (the engine's gRPC context) sends
// SIGINT to the build or program and SIGKILL 5 seconds later; SIGINT/SIGTERM
// to this host are forwarded the same way before it exits; and when the engine
// stops answering its health check (a CLI killed with SIGKILL), the host kills
// what it started and exits, so nothing is left running.
//
// Not implemented (the CLI reports "unimplemented" or the run fails saying
// so): the `binary` and `buildTarget` runtime options (every run builds; Go's
// build cache keeps a rebuild of an unchanged program to about a second of
// linking), PULUMI_GO_USE_RUN, attaching a debugger, code generation
// (`pulumi convert`, `pulumi package gen-sdk`), `pulumi new` templating,
// RunPlugin (Go provider plugins run through a host), Pack and Link.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
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
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code of pulumi.Run when it has already reported the program's error
// to the engine (constant.ExitStatusLoggedError); the host then says nothing more.
const exitCodeAlreadyReported = 32

// How long a build or program gets between SIGINT and SIGKILL.
const stopGrace = 5 * time.Second

// buildGo is the `go` that built this host (set by scripts/ensure-pulumi with
// -ldflags -X), used when no `go` is on PATH.
var buildGo string

func main() {
	engineAddress := parseArgs(os.Args[1:])

	host := &goHost{engineAddress: engineAddress}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-go: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	stopOnSignal()
	exitWhenEngineGone(engineAddress)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-go: gRPC server stopped: %v\n", err)
		stopAll()
		os.Exit(1)
	}
	stopAll()
}

// children are the builds and programs this host is running, and the
// temporary directories of their binaries, so that they end with it.
var children = struct {
	sync.Mutex
	running map[*exec.Cmd]struct{}
	tmpDirs map[string]struct{}
}{running: map[*exec.Cmd]struct{}{}, tmpDirs: map[string]struct{}{}}

// runChild runs cmd to its end, registered in children. When ctx is cancelled
// the child gets SIGINT, then SIGKILL after stopGrace.
func runChild(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	children.Lock()
	children.running[cmd] = struct{}{}
	children.Unlock()
	defer func() {
		children.Lock()
		delete(children.running, cmd)
		children.Unlock()
	}()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-done:
			case <-time.After(stopGrace):
				_ = cmd.Process.Kill()
			}
		}
	}()
	return cmd.Wait()
}

// stopAll interrupts every child, kills those still running after stopGrace,
// and removes the temporary binaries.
func stopAll() {
	children.Lock()
	running := make([]*exec.Cmd, 0, len(children.running))
	for cmd := range children.running {
		running = append(running, cmd)
	}
	children.Unlock()
	for _, cmd := range running {
		_ = cmd.Process.Signal(syscall.SIGINT)
	}
	deadline := time.Now().Add(stopGrace)
	for time.Now().Before(deadline) {
		children.Lock()
		n := len(children.running)
		children.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	killAll()
}

// killAll kills every child at once and removes the temporary binaries.
func killAll() {
	children.Lock()
	defer children.Unlock()
	for cmd := range children.running {
		_ = cmd.Process.Kill()
	}
	for dir := range children.tmpDirs {
		_ = os.RemoveAll(dir)
	}
}

// stopOnSignal: SIGINT or SIGTERM to this host (the engine interrupts a
// plugin's process group when it closes it) is passed on to the build or
// program, which then gets stopGrace to end before the host exits.
func stopOnSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		stopAll()
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
}

// exitWhenEngineGone ends this host, and what it runs, once the engine stops
// answering: a CLI killed with SIGKILL never tells its plugins. Upstream hosts
// watch the engine the same way.
func exitWhenEngineGone(engineAddress string) {
	if engineAddress == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(ctx, engineAddress, 2*time.Second, cancel); err != nil {
		return
	}
	go func() {
		<-ctx.Done()
		killAll()
		fmt.Fprintln(os.Stderr, "pulumi-language-go: the engine is gone; exiting")
		os.Exit(1)
	}()
}

// parseArgs accepts the arguments the engine passes to language plugins:
// optional flags (`--logtostderr`, `-v=N`, `--tracing URL`, `-root DIR`, ...)
// then the engine address as the last positional argument.
func parseArgs(args []string) (engineAddress string) {
	takesValue := map[string]bool{"tracing": true, "root": true, "v": true, "binary": true, "buildTarget": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			engineAddress = a
			continue
		}
		name := strings.TrimLeft(a, "-")
		if _, _, hasValue := strings.Cut(name, "="); !hasValue && takesValue[name] && i+1 < len(args) {
			i++
		}
	}
	return engineAddress
}

type goHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
}

func (h *goHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *goHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.mu.Lock()
		h.engineAddress = req.GetEngineAddress()
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *goHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// goBinary is `go` on PATH, else the toolchain that built this host.
func goBinary() (string, error) {
	if gobin, err := exec.LookPath("go"); err == nil {
		return gobin, nil
	}
	if buildGo != "" {
		if _, err := os.Stat(buildGo); err == nil {
			return buildGo, nil
		}
	}
	return "", errors.New("could not find go on the $PATH; install Go (https://go.dev/doc/install)")
}

// programDir is the absolute directory of the program (where go.mod's module,
// or the main package, is).
func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = fallback
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return dir
}

// lockedBuffer collects a child's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// build compiles the program in dir into a temporary directory. A failed
// build returns the compiler's output in the error.
func build(ctx context.Context, gobin, dir string) (bin, tmpDir string, err error) {
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(matches) == 0 {
		return "", "", fmt.Errorf("no .go files in %s to build (is the project's main right?)", dir)
	}
	tmpDir, err = os.MkdirTemp("", "pulumi-go-program-")
	if err != nil {
		return "", "", fmt.Errorf("making a directory for the program's binary: %w", err)
	}
	children.Lock()
	children.tmpDirs[tmpDir] = struct{}{}
	children.Unlock()
	bin = filepath.Join(tmpDir, "program")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Dir = dir
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runChild(ctx, cmd); err != nil {
		removeTmpDir(tmpDir)
		text := strings.TrimRight(out.String(), "\n")
		if ctx.Err() != nil {
			return "", "", errors.New("go build was cancelled")
		}
		return "", "", fmt.Errorf("go build failed in %s (%v):\n%s", dir, err, text)
	}
	return bin, tmpDir, nil
}

func removeTmpDir(dir string) {
	_ = os.RemoveAll(dir)
	children.Lock()
	delete(children.tmpDirs, dir)
	children.Unlock()
}

// runEnvironment is what pulumi.Run reads (sdk/go/pulumi/run.go, getEnvInfo).
func (h *goHost) runEnvironment(req *pulumirpc.RunRequest) ([]string, error) {
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
	env := os.Environ()
	set := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	set("PULUMI_MONITOR", req.GetMonitorAddress())
	set("PULUMI_ENGINE", h.engine())
	set("PULUMI_ORGANIZATION", req.GetOrganization())
	set("PULUMI_PROJECT", req.GetProject())
	set("PULUMI_STACK", req.GetStack())
	set("PULUMI_ROOT_DIRECTORY", req.GetInfo().GetRootDirectory())
	set("PULUMI_CONFIG", string(configJSON))
	set("PULUMI_CONFIG_SECRET_KEYS", string(secretKeysJSON))
	set("PULUMI_DRY_RUN", strconv.FormatBool(req.GetDryRun()))
	set("PULUMI_PARALLEL", strconv.Itoa(int(req.GetParallel())))
	return env, nil
}

func (h *goHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	for _, option := range []string{"binary", "buildTarget"} {
		if _, ok := req.GetInfo().GetOptions().GetFields()[option]; ok {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf(
				"the runtime option %q is not supported by this project's stand-in pulumi-language-go "+
					"(scripts/pulumi-cli/cmd/pulumi-language-go); it always builds the program", option)}, nil
		}
	}
	gobin, err := goBinary()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	env, err := h.runEnvironment(req)
	if err != nil {
		return nil, err
	}

	bin, tmpDir, err := build(ctx, gobin, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	defer removeTmpDir(tmpDir)

	cmd := exec.Command(bin, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := runChild(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return &pulumirpc.RunResponse{Error: "program exited due to signal " + ws.Signal().String()}, nil
			}
			if exitErr.ExitCode() == exitCodeAlreadyReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the program: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// goModule is the part of `go mod edit -json` this host reads.
type goModule struct {
	Module  struct{ Path string }
	Require []struct {
		Path     string
		Version  string
		Indirect bool
	}
	Replace []struct {
		Old struct{ Path string }
		New struct{ Path, Version string }
	}
}

// readGoMod reads the go.mod of the module dir is in.
func readGoMod(ctx context.Context, gobin, dir string) (*goModule, string, error) {
	cmd := exec.CommandContext(ctx, gobin, "env", "GOMOD")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, "", fmt.Errorf("no go.mod for %s", dir)
	}
	cmd = exec.CommandContext(ctx, gobin, "mod", "edit", "-json", gomod)
	cmd.Dir = dir
	out, err = cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go mod edit -json %s: %w", gomod, err)
	}
	var m goModule
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, "", fmt.Errorf("parsing go mod edit -json: %w", err)
	}
	return &m, filepath.Dir(gomod), nil
}

// moduleDirs maps each module path to its source directory (the module cache,
// a replacement's directory, or vendor/), as `go list -m -json` reports it.
func moduleDirs(ctx context.Context, gobin, modDir string, paths []string) map[string]string {
	dirs := map[string]string{}
	if len(paths) == 0 {
		return dirs
	}
	decode := func(args ...string) {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = modDir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		out, _ := cmd.Output() // partial output is still useful
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var m struct {
				Path, Dir string
				Replace   *struct{ Dir string }
			}
			if dec.Decode(&m) != nil {
				return
			}
			if m.Dir == "" && m.Replace != nil {
				m.Dir = m.Replace.Dir
			}
			if m.Dir != "" {
				dirs[m.Path] = m.Dir
			}
		}
	}
	decode(append([]string{"list", "-m", "-json"}, paths...)...)
	var missing []string
	vendor := filepath.Join(modDir, "vendor")
	_, vendorErr := os.Stat(vendor)
	for _, p := range paths {
		if dirs[p] != "" {
			continue
		}
		if vendorErr == nil {
			if st, err := os.Stat(filepath.Join(vendor, p)); err == nil && st.IsDir() {
				dirs[p] = filepath.Join(vendor, p)
			}
			continue
		}
		missing = append(missing, p)
	}
	if len(missing) > 0 {
		decode(append([]string{"mod", "download", "-json"}, missing...)...)
	}
	return dirs
}

// pluginJSON is pulumi-plugin.json as the Go SDKs Pulumi generates carry it.
type pluginJSON struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

func readPluginJSON(moduleDir string) *pluginJSON {
	candidates := []string{
		filepath.Join(moduleDir, "pulumi-plugin.json"),
		filepath.Join(moduleDir, "go", "pulumi-plugin.json"),
	}
	for _, pattern := range []string{"go/*/pulumi-plugin.json", "*/pulumi-plugin.json"} {
		matches, _ := filepath.Glob(filepath.Join(moduleDir, pattern))
		candidates = append(candidates, matches...)
	}
	for _, path := range candidates {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var p pluginJSON
		if json.Unmarshal(b, &p) != nil {
			continue
		}
		return &p
	}
	return nil
}

// A released module version (not a pseudo-version such as
// v0.0.0-20260101000000-abcdef123456, which names no plugin release).
var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// requiredPackages lists the resource plugins the program's dependencies name
// in pulumi-plugin.json. Errors (no go.mod, modules not downloadable) give an
// empty list, as upstream: the engine still loads plugins on demand.
func requiredPackages(ctx context.Context, dir string) []*pulumirpc.PackageDependency {
	gobin, err := goBinary()
	if err != nil {
		return nil
	}
	mod, modDir, err := readGoMod(ctx, gobin, dir)
	if err != nil {
		return nil
	}
	paths := make([]string, 0, len(mod.Require))
	versions := map[string]string{}
	for _, r := range mod.Require {
		paths = append(paths, r.Path)
		versions[r.Path] = r.Version
	}
	for _, r := range mod.Replace {
		if r.New.Version == "" { // a local directory: no release version
			versions[r.Old.Path] = ""
		}
	}
	dirs := moduleDirs(ctx, gobin, modDir, paths)
	var pkgs []*pulumirpc.PackageDependency
	seen := map[string]bool{}
	for _, path := range paths {
		moduleDir := dirs[path]
		if moduleDir == "" {
			continue
		}
		if !filepath.IsAbs(moduleDir) {
			moduleDir = filepath.Join(modDir, moduleDir)
		}
		p := readPluginJSON(moduleDir)
		if p == nil || !p.Resource {
			continue
		}
		name := p.Name
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		ver := p.Version
		if ver == "" {
			ver = versions[path]
		}
		if ver != "" && !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		if !releaseVersion.MatchString(ver) || pseudoVersion.MatchString(ver) {
			ver = ""
		}
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: name, Kind: "resource", Version: ver, Server: p.Server,
		})
	}
	return pkgs
}

func (h *goHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{
		Packages: requiredPackages(ctx, programDir(req.GetInfo(), "")),
	}, nil
}

func (h *goHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	var plugins []*pulumirpc.PluginDependency
	for _, p := range requiredPackages(ctx, dir) {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *goHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	gobin, err := goBinary()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, gobin, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("running go version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: gobin, Version: strings.TrimSpace(string(out))}, nil
}

func (h *goHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	gobin, err := goBinary()
	if err != nil {
		return nil, err
	}
	mod, _, err := readGoMod(ctx, gobin, programDir(req.GetInfo(), req.GetPwd())) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	replaced := map[string]bool{}
	for _, r := range mod.Replace {
		replaced[r.Old.Path] = true
	}
	var deps []*pulumirpc.DependencyInfo
	for _, r := range mod.Require {
		if r.Indirect && !req.GetTransitiveDependencies() {
			continue
		}
		ver := r.Version
		if replaced[r.Path] {
			ver = ""
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: r.Path, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *goHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// InstallDependencies runs `go mod download` in the program's module and
// streams its output back to the engine.
func (h *goHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	gobin, err := goBinary()
	if err != nil {
		return err
	}
	cmd := exec.Command(gobin, "mod", "download")
	cmd.Dir = programDir(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	var mu sync.Mutex
	cmd.Stdout = &streamWriter{mu: &mu, send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	cmd.Stderr = &streamWriter{mu: &mu, send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	// runChild interrupts `go mod download` when the engine cancels the stream.
	if err := runChild(server.Context(), cmd); err != nil {
		return fmt.Errorf("go mod download failed: %w", err)
	}
	return nil
}

// streamWriter sends what a child writes to a gRPC stream, one message per write.
type streamWriter struct {
	mu   *sync.Mutex
	send func([]byte) error
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
