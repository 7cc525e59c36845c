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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"pulumi-narrative-jobs/scripts/pulumi-cli/internal/standin"
)

// buildGo is the `go` that built this host (set by scripts/ensure-pulumi with
// -ldflags -X), used when no `go` is on PATH.
var buildGo string

func main() {
	args := standin.ParseArgs(os.Args[1:])
	host := &goHost{Base: standin.NewBase(args)}
	standin.Serve(args, standin.ServeOptions{
		Name:           "pulumi-language-go",
		Register:       func(srv *grpc.Server) { pulumirpc.RegisterLanguageRuntimeServer(srv, host) },
		ForwardSignals: true,
	})
}

type goHost struct {
	*standin.Base
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
	tmpDir, err = standin.MakeTempDir("pulumi-go-program-")
	if err != nil {
		return "", "", fmt.Errorf("making a directory for the program's binary: %w", err)
	}
	bin = filepath.Join(tmpDir, "program")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Dir = dir
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := standin.RunChild(ctx, cmd, standin.StopGrace); err != nil {
		standin.RemoveTempDir(tmpDir)
		text := strings.TrimRight(out.String(), "\n")
		if ctx.Err() != nil {
			return "", "", errors.New("go build was cancelled")
		}
		return "", "", fmt.Errorf("go build failed in %s (%v):\n%s", dir, err, text)
	}
	return bin, tmpDir, nil
}

// runEnvironment is what pulumi.Run reads (sdk/go/pulumi/run.go, getEnvInfo).
func (h *goHost) runEnvironment(req *pulumirpc.RunRequest) ([]string, error) {
	config, err := standin.ConfigEnvironment(req)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), config...)
	set := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	set("PULUMI_MONITOR", req.GetMonitorAddress())
	set("PULUMI_ENGINE", h.EngineAddress())
	set("PULUMI_ORGANIZATION", req.GetOrganization())
	set("PULUMI_PROJECT", req.GetProject())
	set("PULUMI_STACK", req.GetStack())
	set("PULUMI_ROOT_DIRECTORY", req.GetInfo().GetRootDirectory())
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
	defer standin.RemoveTempDir(tmpDir)

	cmd := exec.Command(bin, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return standin.RunResult(standin.RunChild(ctx, cmd, standin.StopGrace)), nil
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
	cmd.Stdout, cmd.Stderr = standin.InstallStreams(server)
	// Interrupted when the engine cancels the stream.
	if err := standin.RunChild(server.Context(), cmd, standin.StopGrace); err != nil {
		return fmt.Errorf("go mod download failed: %w", err)
	}
	return nil
}
