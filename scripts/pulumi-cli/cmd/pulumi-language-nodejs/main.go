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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"pulumi-narrative-jobs/scripts/pulumi-cli/internal/standin"
)

func main() {
	args := standin.ParseArgs(os.Args[1:])
	host := &nodeHost{Base: standin.NewBase(args)}
	// The program handles SIGINT itself (@pulumi/pulumi's run), and gets the one its process group gets.
	standin.Serve(args, standin.ServeOptions{
		Name:     "pulumi-language-nodejs",
		Register: func(srv *grpc.Server) { pulumirpc.RegisterLanguageRuntimeServer(srv, host) },
	})
}

type nodeHost struct {
	*standin.Base
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
	args = append(args, strings.Fields(standin.StringOption(opts, "nodeargs"))...)
	args = append(args, runPath)
	flag := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.EngineAddress())
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
	flag("tracing", h.Tracing())
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := standin.ConfigEnvironment(req)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), config...)
	env = append(env,
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(standin.BoolOption(opts, "typescript", true)))
	if tsconfig := standin.StringOption(opts, "tsconfig"); tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// Killed at once when the engine cancels the run.
	return standin.RunResult(standin.RunChild(ctx, cmd, 0)), nil
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
		ver = standin.PluginVersion(ver)
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

// InstallDependencies runs the project's package manager (npm unless the
// `packagemanager` runtime option or a lock file says otherwise) and streams
// its output back to the engine.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir, _ := programLocation(req.GetInfo(), req.GetDirectory(), "") //nolint:staticcheck
	pm := standin.StringOption(req.GetInfo().GetOptions(), "packagemanager")
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
	cmd := exec.Command(bin, "install")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = standin.InstallStreams(server)
	// Killed at once when the engine cancels the stream.
	if err := standin.RunChild(server.Context(), cmd, 0); err != nil {
		return fmt.Errorf("%s install failed: %w", pm, err)
	}
	return nil
}
