// Package shared holds what both sides of the go-plugin v1.8 conformance programs agree on:
// handshakes, one generic gRPC plugin type, and the in-memory KV implementation.
package shared

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
	"github.com/plugwire/plugwire/conformance/internal/cli"
)

// BasicHandshake is go-plugin's examples cookie (kv, counter, noisy, versioned, junk).
var BasicHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BASIC_PLUGIN",
	MagicCookieValue: "hello",
}

// RunnerHandshake is the Compliance Framework agent's cookie.
var RunnerHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "RUNNER_PLUGIN",
	MagicCookieValue: "AC755DCE-C118-481A-8EFA-18D8675D8122",
}

// Remote is what a host gets from Dispense: the broker and the connection, on which it builds
// generated gRPC clients itself.
type Remote struct {
	Broker *plugin.GRPCBroker
	Conn   *grpc.ClientConn
}

// GRPC is a gRPC-only go-plugin plugin. Plugins set Register; hosts leave it nil.
type GRPC struct {
	plugin.NetRPCUnsupportedPlugin
	Register func(*plugin.GRPCBroker, *grpc.Server) error
}

func (p *GRPC) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("host-side plugin definition cannot serve")
	}
	return p.Register(b, s)
}

func (p *GRPC) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Remote{Broker: b, Conn: c}, nil
}

// KV is the in-memory implementation of go-plugin's examples/grpc KV service.
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

// ServeKV serves the KV plugin as go-plugin's examples/grpc does (set "kv_grpc", DefaultGRPCServer),
// after one structured hclog line on stderr.
func ServeKV(name string) {
	logger := hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	logger.Info("kv plugin starting", "implementation", "go", "go_plugin", "v1.8")
	impl := &KV{}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: BasicHandshake,
		Plugins: plugin.PluginSet{"kv_grpc": &GRPC{Register: func(_ *plugin.GRPCBroker, s *grpc.Server) error {
			kvpb.RegisterKVServer(s, impl)
			return nil
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}

// ClientOptions are what every host program sets.
type ClientOptions struct {
	Name      string // logger name
	Command   string // run as: sh -c Command
	MTLS      bool   // go-plugin AutoMTLS
	Handshake plugin.HandshakeConfig
	Plugins   plugin.PluginSet
}

// Host is a go-plugin client for a gRPC plugin run through `sh -c`, with its stdio captured.
//
// `sh -c` (dash) forks rather than execs the command, and go-plugin's forced kill only SIGKILLs
// the pid it started (sh): the real plugin would survive, keep the stdout pipe open, and
// Client.Kill would then wait forever. So the command runs in its own process group and the whole
// group is SIGKILLed when go-plugin logs its forced-kill message (and on abort).
type Host struct {
	Client *plugin.Client
	Watch  *cli.KillWatch
	Stdout *cli.Buffer // what SyncStdout received: the plugin's stdout after the handshake (GRPCStdio)
	Stderr *cli.Buffer // what SyncStderr received
	cmd    *exec.Cmd
}

// NewHost builds (does not start) the client.
func NewHost(o ClientOptions) *Host {
	logger, watch := cli.HostLogger(o.Name)
	cmd := exec.Command("sh", "-c", o.Command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	h := &Host{Watch: watch, Stdout: &cli.Buffer{}, Stderr: &cli.Buffer{}, cmd: cmd}
	watch.OnForced = h.KillGroup
	h.Client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  o.Handshake,
		Plugins:          o.Plugins,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         o.MTLS,
		Logger:           logger,
		SyncStdout:       h.Stdout,
		SyncStderr:       h.Stderr,
	})
	return h
}

// KillGroup SIGKILLs the plugin's whole process group, if it was started.
func (h *Host) KillGroup() {
	if p := h.cmd.Process; p != nil {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// Kill is go-plugin's Client.Kill (Shutdown, 2 s grace, then SIGKILL), timed.
func (h *Host) Kill() time.Duration {
	start := time.Now()
	h.Client.Kill()
	return time.Since(start)
}

// Abort ends everything at once (error paths).
func (h *Host) Abort() {
	h.KillGroup()
	h.Client.Kill()
}

// Dispense starts the client and returns the named plugin's Remote.
func Dispense(c *plugin.Client, name string) (*Remote, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(name)
	if err != nil {
		return nil, err
	}
	r, ok := raw.(*Remote)
	if !ok {
		return nil, errors.New("dispensed plugin is not a gRPC plugin")
	}
	return r, nil
}
