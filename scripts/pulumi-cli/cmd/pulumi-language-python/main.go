// Command pulumi-language-python is a minimal Python language host for the pinned Pulumi CLI that
// scripts/ensure-pulumi builds.
//
// Why it exists: Pulumi's Python language host is its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), which the Go module proxy available to this
// project refuses, as it refuses the Node.js and Go ones. What it runs is served, though: the Go module
// github.com/pulumi/pulumi/sdk/v3 holds Pulumi's Python toolchain package (python/toolchain: finding Python,
// virtual environments, pip) and the executor script that starts a program with Pulumi's Python SDK
// (python/cmd/pulumi-language-python-exec), which scripts/ensure-pulumi puts beside this host, where Pulumi's host
// looks for it. So this host is mostly the gRPC service around those two.
//
// What it does:
//   - Run: with the virtual environment of the `virtualenv` runtime option (relative to the project's root), or
//     else the python3 (or python) on PATH, runs `python pulumi-language-python-exec --monitor ... --engine ...
//     --project ... --root_directory ... --stack ... --pwd ... --dry_run true|false --parallel N
//     [--organization ...] [--tracing ...] <program>`, with the stack's configuration in PULUMI_CONFIG and
//     PULUMI_CONFIG_SECRET_KEYS: the arguments and environment that script reads. A virtualenv option naming no
//     environment fails the run with Pulumi's own message (how to make it). With `typechecker: mypy`, mypy checks
//     the program first, and a failure fails the run with its output. Exit code 32 (the executor's "error
//     already shown") bails quietly.
//   - GetRequiredPackages/GetRequiredPlugins: first makes the virtual environment and installs requirements.txt
//     into it when it is missing, as Pulumi's host does; then reports the resource plugins named by the
//     pulumi-plugin.json of every installed distribution (packages.go).
//   - InstallDependencies (`pulumi install`): Pulumi's pip toolchain: makes the virtual environment if needed,
//     upgrades pip, setuptools and wheel in it, then `pip install -r requirements.txt`.
//   - GeneratePackage and Link (`pulumi package add`, `pulumi package gen-sdk`): Pulumi's Python generator
//     (pkg/v3/codegen/python) writes the SDK; Link lists it in requirements.txt with Pulumi's pip toolchain
//     (codegen.go).
//   - About (the Python executable and version), GetProgramDependencies (`pip list`), GetPluginInfo, Handshake,
//     RuntimeOptionsPrompts (none).
//
// Cancellation and ending, as the other stand-ins (internal/standin): a cancelled Run sends SIGINT to the program
// and SIGKILL 5 seconds later; SIGINT/SIGTERM to this host are forwarded the same way; when the engine stops
// answering (a CLI killed with SIGKILL), the host kills the program and exits.
//
// Not implemented (the run fails saying so, or the CLI reports "unimplemented"): the `toolchain` options poetry
// and uv (pip only), `typechecker: pyright`, attaching a debugger, RunPlugin (Python provider plugins and policy
// packs), program generation (`pulumi convert`: GenerateProject, GenerateProgram), `pulumi new` templating, Pack.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"pulumi-narrative-jobs/scripts/pulumi-cli/internal/standin"
)

// executorName is Pulumi's script that runs a program with the Python SDK, installed beside this host.
const executorName = "pulumi-language-python-exec"

func main() {
	args := standin.ParseArgs(os.Args[1:])
	host := &pythonHost{Base: standin.NewBase(args)}
	standin.Serve(args, standin.ServeOptions{
		Name:           "pulumi-language-python",
		Register:       func(srv *grpc.Server) { pulumirpc.RegisterLanguageRuntimeServer(srv, host) },
		ForwardSignals: true,
	})
}

type pythonHost struct {
	*standin.Base
}

// project is a program's Python settings: where it is and its runtime options.
type project struct {
	root, programDir string
	virtualenv       string
	typechecker      string
	tc               toolchain.Toolchain
}

// resolveProject reads the runtime options this host supports and refuses the others by name.
func resolveProject(info *pulumirpc.ProgramInfo) (*project, error) {
	opts := info.GetOptions()
	p := &project{
		root:        info.GetRootDirectory(),
		programDir:  info.GetProgramDirectory(),
		virtualenv:  standin.StringOption(opts, "virtualenv"),
		typechecker: standin.StringOption(opts, "typechecker"),
	}
	if p.programDir == "" {
		p.programDir = p.root
	}
	if p.root == "" {
		p.root = p.programDir
	}
	unsupported := func(option, value, instead string) error {
		return fmt.Errorf("the runtime option %s: %q is not supported by this project's stand-in "+
			"pulumi-language-python (scripts/pulumi-cli/cmd/pulumi-language-python); %s", option, value, instead)
	}
	if tc := standin.StringOption(opts, "toolchain"); tc != "" && tc != "pip" {
		return nil, unsupported("toolchain", tc, "use pip (the default) with a virtualenv and requirements.txt")
	}
	if p.typechecker != "" && p.typechecker != "mypy" {
		return nil, unsupported("typechecker", p.typechecker, "use mypy, or run the type checker yourself")
	}
	tc, err := toolchain.ResolveToolchain(toolchain.PythonOptions{
		Root: p.root, ProgramDir: p.programDir, Virtualenv: p.virtualenv, Toolchain: toolchain.Pip,
	})
	if err != nil {
		return nil, err
	}
	p.tc = tc
	return p, nil
}

// executor is Pulumi's executor script beside this host's executable.
func executor() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this host's executable: %w", err)
	}
	path := filepath.Join(filepath.Dir(self), executorName)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("missing executor %s (scripts/ensure-pulumi copies it from Pulumi's Go SDK module): %w",
			path, err)
	}
	return path, nil
}

// executorArgs are the executor script's arguments for a run (its argparse options, then the program).
func (h *pythonHost) executorArgs(req *pulumirpc.RunRequest, programDir string) []string {
	var args []string
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.EngineAddress())
	flag("project", req.GetProject())
	flag("root_directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", req.GetPwd())
	flag("dry_run", strconv.FormatBool(req.GetDryRun()))
	// The executor parses --parallel as an int whether given or not.
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	flag("organization", req.GetOrganization())
	flag("tracing", h.Tracing())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, filepath.Join(programDir, entry))
	return append(args, req.GetArgs()...)
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	p, err := resolveProject(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := p.tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if p.typechecker == "mypy" {
		if err := p.typecheck(ctx); err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
	}
	exec, err := executor()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	// RunChild, not the command's context, decides how a cancelled run ends.
	cmd, err := p.tc.Command(context.Background(), append([]string{exec}, h.executorArgs(req, p.programDir)...)...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := standin.ConfigEnvironment(req)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, config...)
	cmd.Dir = p.programDir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return standin.RunResult(standin.RunChild(ctx, cmd, standin.StopGrace)), nil
}

// typecheck runs mypy on the program directory (the virtual environment left out) with the program's Python.
func (p *project) typecheck(ctx context.Context) error {
	args := []string{"-m", "mypy"}
	if venv, err := p.tc.VirtualEnvPath(ctx); err == nil && venv != "" {
		if rel, err := filepath.Rel(p.programDir, venv); err == nil {
			args = append(args, "--exclude", rel)
		}
	}
	cmd, err := p.tc.Command(context.Background(), append(args, p.programDir)...)
	if err != nil {
		return err
	}
	cmd.Dir = p.programDir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := standin.RunChild(ctx, cmd, standin.StopGrace); err != nil {
		return fmt.Errorf("the type checker (typechecker: mypy) failed on %s: %w", p.programDir, err)
	}
	return nil
}

// InstallDependencies (`pulumi install`) makes the virtual environment and installs requirements.txt into it
// with Pulumi's pip toolchain, streaming its output to the engine.
func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	p, err := resolveProject(req.GetInfo())
	if err != nil {
		return err
	}
	stdout, stderr := standin.InstallStreams(server)
	fmt.Fprintf(stdout, "Installing dependencies...\n\n")
	return p.tc.InstallDependencies(server.Context(), p.programDir, req.GetUseLanguageVersionTools(),
		true /* showOutput */, stdout, stderr)
}

// ensureEnvironment makes the virtual environment when it is missing, showing pip's output as the engine's
// messages: a `pulumi up` in a fresh clone of a program works without a `pulumi install` first.
func (h *pythonHost) ensureEnvironment(ctx context.Context, p *project) error {
	var info, errs io.Writer = io.Discard, io.Discard
	if engine := h.EngineAddress(); engine != "" {
		i, e, closeLog, err := standin.EngineLog(ctx, engine)
		if err != nil {
			return err
		}
		defer closeLog()
		info, errs = i, e
	}
	return p.tc.EnsureVenv(ctx, p.programDir, false, true /* showOutput */, info, errs)
}

func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	p, err := resolveProject(req.GetInfo())
	if err != nil {
		return nil, err
	}
	about, err := p.tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: about.PythonExecutable, Version: about.PythonVersion.String()}, nil
}

func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	p, err := resolveProject(req.GetInfo())
	if err != nil {
		return nil, err
	}
	listed, err := p.tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("listing the program's Python packages: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(listed))
	for _, d := range listed {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
