package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// ExitCodeAlreadyReported is the exit code with which each language's program runner says that it has already
// shown the program's error to the user: the host then says nothing more (Bail).
const ExitCodeAlreadyReported = 32

// Base is the part of the LanguageRuntime service every stand-in answers the same way: the handshake, the
// plugin's version and the runtime options (none are prompted for). A host embeds it.
type Base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
}

// NewBase starts a host's state from its arguments.
func NewBase(args Args) *Base {
	return &Base{engineAddress: args.EngineAddress, tracing: args.Tracing}
}

// EngineAddress is the engine's address: from the arguments, or from the handshake when the engine gave one.
func (b *Base) EngineAddress() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.engineAddress
}

// Tracing is the tracing endpoint the engine passed, if any.
func (b *Base) Tracing() string {
	return b.tracing
}

func (b *Base) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		b.mu.Lock()
		b.engineAddress = req.GetEngineAddress()
		b.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (b *Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (b *Base) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// StringOption is a runtime option of Pulumi.yaml (`runtime.options`) that is a string, or "".
func StringOption(opts *structpb.Struct, key string) string {
	if v, ok := opts.GetFields()[key]; ok {
		return v.GetStringValue()
	}
	return ""
}

// BoolOption is a runtime option that is a boolean, or def.
func BoolOption(opts *structpb.Struct, key string, def bool) bool {
	if v, ok := opts.GetFields()[key]; ok {
		if _, isBool := v.GetKind().(*structpb.Value_BoolValue); isBool {
			return v.GetBoolValue()
		}
	}
	return def
}

// ConfigEnvironment is the stack's configuration as every language's SDK reads it: PULUMI_CONFIG (a JSON
// object) and PULUMI_CONFIG_SECRET_KEYS (a JSON array), as KEY=VALUE entries.
func ConfigEnvironment(req *pulumirpc.RunRequest) ([]string, error) {
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
	return []string{"PULUMI_CONFIG=" + string(configJSON), "PULUMI_CONFIG_SECRET_KEYS=" + string(secretKeysJSON)}, nil
}

// RunResult is the answer to Run for how the program ended (err from RunChild).
func RunResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &pulumirpc.RunResponse{Error: "program exited due to signal " + ws.Signal().String()}
	}
	if exitErr.ExitCode() == ExitCodeAlreadyReported {
		return &pulumirpc.RunResponse{Bail: true}
	}
	return &pulumirpc.RunResponse{
		Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
	}
}

// PluginDependencies are packages as the older GetRequiredPlugins call lists them.
func PluginDependencies(pkgs []*pulumirpc.PackageDependency) []*pulumirpc.PluginDependency {
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return plugins
}

// PluginVersion is a version as the engine wants a plugin's: with its leading "v" ("" stays "").
func PluginVersion(v string) string {
	if v != "" && !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

// InstallStreams are writers that send what an install writes to the engine through the InstallDependencies
// stream, one message per write.
func InstallStreams(
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) (stdout, stderr io.Writer) {
	var mu sync.Mutex
	stdout = &streamWriter{mu: &mu, send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	stderr = &streamWriter{mu: &mu, send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	return stdout, stderr
}

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

// EngineLog returns writers that show what they get as the engine's ephemeral messages (info and error), for
// work a host does outside an install stream; close releases the connection.
func EngineLog(ctx context.Context, engineAddress string) (info, errs io.Writer, close func(), err error) {
	conn, err := grpc.NewClient(engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connecting to the engine at %s: %w", engineAddress, err)
	}
	client := pulumirpc.NewEngineClient(conn)
	streamID := rand.Int32()
	writer := func(severity pulumirpc.LogSeverity) io.Writer {
		return &engineWriter{ctx: ctx, client: client, streamID: streamID, severity: severity}
	}
	return writer(pulumirpc.LogSeverity_INFO), writer(pulumirpc.LogSeverity_ERROR), func() { _ = conn.Close() }, nil
}

type engineWriter struct {
	ctx      context.Context
	client   pulumirpc.EngineClient
	streamID int32
	severity pulumirpc.LogSeverity
}

func (w *engineWriter) Write(p []byte) (int, error) {
	_, err := w.client.Log(w.ctx, &pulumirpc.LogRequest{
		Message:   strings.ToValidUTF8(string(p), "\uFFFD"),
		Ephemeral: true,
		StreamId:  w.streamID,
		Severity:  w.severity,
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
