package shared

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOnBroker takes a NEW broker id and serves a gRPC server on it (broker.NextId +
// AcceptAndServe, the shape of go-plugin's examples/bidirectional and of the Compliance Framework
// agent). The id travels to the plugin inside an app message; stop() ends the server.
func ServeOnBroker(b *plugin.GRPCBroker, register func(*grpc.Server)) (id uint32, stop func()) {
	id = b.NextId()
	var mu sync.Mutex
	var srv *grpc.Server
	stopped := false
	go b.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		register(s)
		mu.Lock()
		defer mu.Unlock()
		srv = s
		if stopped {
			s.Stop() // Serve then returns at once
		}
		return s
	})
	return id, func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if srv != nil {
			srv.Stop()
		}
	}
}

// LegacyCheck is the result of ProbeHandshake.
type LegacyCheck struct {
	OK        bool     `json:"ok"`
	Handshake string   `json:"handshake"`
	Problems  []string `json:"problems"`
}

// ProbeHandshake launches the plugin command once more, the way a go-plugin host before v1.6
// would (cookie, PLUGIN_PROTOCOL_VERSIONS, port range, no PLUGIN_MULTIPLEX_GRPC, no
// PLUGIN_CLIENT_CERT), reads its handshake line and kills it. Such hosts split the line into at
// most 6 fields, so it must be exactly CORE|APP|NETWORK|ADDR|grpc| with an empty cert field.
func ProbeHandshake(command string, h plugin.HandshakeConfig) LegacyCheck {
	res := LegacyCheck{Problems: []string{}}
	fail := func(format string, a ...any) LegacyCheck {
		res.Problems = append(res.Problems, fmt.Sprintf(format, a...))
		return res
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Env = append(os.Environ(),
		h.MagicCookieKey+"="+h.MagicCookieValue,
		fmt.Sprintf("PLUGIN_PROTOCOL_VERSIONS=%d", h.ProtocolVersion),
		"PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fail("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		return fail("start: %v", err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		res.Handshake = strings.TrimRight(line, "\r\n")
	case <-time.After(time.Minute):
		return fail("no handshake line within 1 minute")
	}
	f := strings.Split(res.Handshake, "|")
	if len(f) != 6 {
		return fail("handshake has %d fields, want exactly 6", len(f))
	}
	if f[0] != "1" {
		res.Problems = append(res.Problems, "core protocol version is not 1")
	}
	if f[1] != fmt.Sprint(h.ProtocolVersion) {
		res.Problems = append(res.Problems, "app protocol version is not the one offered")
	}
	if f[2] != "unix" && f[2] != "tcp" {
		res.Problems = append(res.Problems, "network is neither unix nor tcp")
	}
	if f[4] != "grpc" {
		res.Problems = append(res.Problems, "protocol is not grpc")
	}
	if f[5] != "" {
		res.Problems = append(res.Problems, "server cert sent although PLUGIN_CLIENT_CERT was not set")
	}
	res.OK = len(res.Problems) == 0
	return res
}
