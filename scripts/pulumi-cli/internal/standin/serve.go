// Package standin holds what the project's stand-in language hosts (cmd/pulumi-language-*) share: reading the
// arguments the engine starts a language host with, serving the LanguageRuntime service and announcing its port,
// ending with the engine, the handshake, and the children (builds, programs, installs) each host runs.
package standin

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"google.golang.org/grpc"
)

// Args are what the engine passes a language host: optional flags (`--logtostderr`, `-v=N`, `--tracing URL`,
// `-root DIR`, ...), then the engine's address as the last positional argument.
type Args struct {
	EngineAddress string
	Tracing       string
}

// flagsWithValues are the flags whose value may be the next argument rather than after an `=`.
var flagsWithValues = map[string]bool{"tracing": true, "root": true, "v": true, "binary": true, "buildTarget": true}

// ParseArgs reads the engine's arguments; unknown flags are ignored rather than fatal.
func ParseArgs(args []string) Args {
	var parsed Args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			parsed.EngineAddress = a
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if !hasValue && flagsWithValues[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		if name == "tracing" {
			parsed.Tracing = value
		}
	}
	return parsed
}

// ServeOptions say how a host serves.
type ServeOptions struct {
	// Name is the host's executable name, which starts its messages.
	Name string
	// Register adds the host's LanguageRuntime service to the server.
	Register func(*grpc.Server)
	// ForwardSignals: a SIGINT or SIGTERM to the host (the engine interrupts a plugin's process group when it
	// closes it) is passed on to its children, which get StopGrace to end before it exits. Without it the signal
	// ends the host at once, and its children get only what their process group gets.
	ForwardSignals bool
}

// Serve serves the host until the engine closes it: it prints the port on the first line of stdout (where the
// engine reads it), and ends the host, and what the host runs, once the engine stops answering.
func Serve(args Args, opts ServeOptions) {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			opts.Register(srv)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: could not start the gRPC server: %v\n", opts.Name, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if opts.ForwardSignals {
		stopOnSignal()
	}
	exitWhenEngineGone(opts.Name, args.EngineAddress)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "%s: gRPC server stopped: %v\n", opts.Name, err)
		StopAll()
		os.Exit(1)
	}
	StopAll()
}

func stopOnSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		StopAll()
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
}

// exitWhenEngineGone ends the host, and its children, once the engine stops answering its health check: a CLI
// killed with SIGKILL (a CI runner at its time limit, an out-of-memory kill) never tells its plugins, which
// would otherwise run on. Pulumi's own hosts watch the engine the same way.
func exitWhenEngineGone(name, engineAddress string) {
	if engineAddress == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := rpcutil.Healthcheck(ctx, engineAddress, 2*time.Second, cancel); err != nil {
		return
	}
	go func() {
		<-ctx.Done()
		KillAll()
		fmt.Fprintf(os.Stderr, "%s: the engine is gone; exiting\n", name)
		os.Exit(1)
	}()
}
