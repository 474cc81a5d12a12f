// Package shared is the go-plugin v1.0.1 counterpart of conformance/internal/{cli,shared}. It is a
// small, deliberate copy: this module must not depend on the main conformance module, whose
// go-plugin v1.8 requirement would win over v1.0.1 under Go's minimal version selection.
package shared

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
)

// ForcedKillMessage is what go-plugin v1.0.1's Client.Kill logs before SIGKILL (same text as v1.8).
const ForcedKillMessage = "plugin failed to exit gracefully"

// Handshake is go-plugin's examples cookie.
var Handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

// Emit prints v as ONE JSON line on stdout.
func Emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"ok":false,"error":%q}`, err.Error()))
	}
	os.Stdout.Write(append(b, '\n'))
}

// Fail prints {"ok":false,"error":...} plus extra fields and exits 1.
func Fail(err error, extra map[string]any) {
	out := map[string]any{"ok": false, "error": err.Error()}
	for k, v := range extra {
		out[k] = v
	}
	Emit(out)
	os.Exit(1)
}

// GRPC is a gRPC-only plugin; plugins set Register, hosts get a *grpc.ClientConn from Dispense.
type GRPC struct {
	plugin.NetRPCUnsupportedPlugin
	Register func(*grpc.Server)
}

func (p *GRPC) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("host-side plugin definition cannot serve")
	}
	p.Register(s)
	return nil
}

func (p *GRPC) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return c, nil
}

// KV is the in-memory KV service.
type KV struct {
	kvpb.UnimplementedKVServer
	mu sync.Mutex
	m  map[string][]byte
}

func (k *KV) Get(_ context.Context, r *kvpb.GetRequest) (*kvpb.GetResponse, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return &kvpb.GetResponse{Value: k.m[r.Key]}, nil
}

func (k *KV) Put(_ context.Context, r *kvpb.PutRequest) (*kvpb.Empty, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string][]byte{}
	}
	k.m[r.Key] = append([]byte(nil), r.Value...)
	return &kvpb.Empty{}, nil
}

// ServeKV serves the KV plugin (set "kv_grpc") after one JSON hclog line on stderr.
func ServeKV(name string) {
	logger := hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	logger.Info("kv plugin starting", "implementation", "go", "go_plugin", "v1.0.1")
	impl := &KV{}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{"kv_grpc": &GRPC{Register: func(s *grpc.Server) { kvpb.RegisterKVServer(s, impl) }}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// Buffer is a goroutine-safe bytes.Buffer.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *Buffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// killWatch passes the host log through to stderr and notices the forced-kill message.
type killWatch struct {
	mu       sync.Mutex
	forced   bool
	onForced func()
}

func (w *killWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	if !w.forced && bytes.Contains(p, []byte(ForcedKillMessage)) {
		w.forced = true
		go w.onForced()
	}
	w.mu.Unlock()
	return os.Stderr.Write(p)
}

// Host is a go-plugin v1.0.1 client for a plugin run through `sh -c` in its own process group
// (see conformance/internal/shared.Host for why the group is killed on a forced kill).
type Host struct {
	Client         *plugin.Client
	Stdout, Stderr *Buffer
	watch          *killWatch
	cmd            *exec.Cmd
}

func NewHost(name, command string, mtls bool) *Host {
	cmd := exec.Command("sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	h := &Host{Stdout: &Buffer{}, Stderr: &Buffer{}, cmd: cmd}
	h.watch = &killWatch{onForced: h.KillGroup}
	h.Client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{"kv_grpc": &GRPC{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         mtls,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Trace, Output: h.watch}),
		SyncStdout:       h.Stdout,
		SyncStderr:       h.Stderr,
	})
	return h
}

func (h *Host) Forced() bool { h.watch.mu.Lock(); defer h.watch.mu.Unlock(); return h.watch.forced }

func (h *Host) KillGroup() {
	if p := h.cmd.Process; p != nil {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

func (h *Host) Kill() time.Duration {
	start := time.Now()
	h.Client.Kill()
	return time.Since(start)
}

func (h *Host) Abort() { h.KillGroup(); h.Client.Kill() }
