// Package cli holds the small helpers every conformance host program shares: the one-line JSON
// result on stdout, repeatable flags, a goroutine-safe capture buffer and a host logger that
// notices go-plugin's forced kill.
package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// ForcedKillMessage is what go-plugin's Client.Kill logs (at WARN) when the plugin did not exit
// within its fixed 2 s grace period after GRPCController.Shutdown and is SIGKILLed
// (client.go, identical text in v1.0.1 and v1.8.0).
const ForcedKillMessage = "plugin failed to exit gracefully"

// Emit prints v as ONE JSON line on stdout.
func Emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"ok":false,"error":%q}`, "encoding result: "+err.Error()))
	}
	os.Stdout.Write(append(b, '\n'))
}

// Fail prints {"ok":false,"error":...} plus any extra fields and exits 1.
func Fail(err error, extra map[string]any) {
	out := map[string]any{}
	for k, v := range extra {
		out[k] = v
	}
	out["ok"] = false
	out["error"] = err.Error()
	Emit(out)
	os.Exit(1)
}

// StringList is a repeatable string flag.
type StringList []string

func (s *StringList) String() string     { return strings.Join(*s, ",") }
func (s *StringList) Set(v string) error { *s = append(*s, v); return nil }

// Buffer is a goroutine-safe bytes.Buffer (go-plugin writes SyncStdout/SyncStderr from its own goroutines).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// KillWatch is an io.Writer for the host's hclog output: it passes everything through to stderr
// and remembers whether go-plugin logged ForcedKillMessage. Watching the log output (rather than
// wrapping the hclog.Logger interface) keeps working through Named()/With() sub-loggers.
type KillWatch struct {
	mu     sync.Mutex
	out    io.Writer
	tail   []byte
	forced bool
	// OnForced, if set, runs (once, in its own goroutine) when the message is first seen.
	OnForced func()
}

func (w *KillWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.tail = append(w.tail, p...)
	if !w.forced && bytes.Contains(w.tail, []byte(ForcedKillMessage)) {
		w.forced = true
		if w.OnForced != nil {
			go w.OnForced()
		}
	}
	if i := bytes.LastIndexByte(w.tail, '\n'); i >= 0 {
		w.tail = append(w.tail[:0], w.tail[i+1:]...)
	}
	w.mu.Unlock()
	return w.out.Write(p)
}

// Forced reports whether the forced-kill message was logged.
func (w *KillWatch) Forced() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.forced
}

// HostLogger returns the hclog logger to give to plugin.ClientConfig (everything goes to stderr,
// plugin log lines included) and the watch that detects a forced kill.
func HostLogger(name string) (hclog.Logger, *KillWatch) {
	w := &KillWatch{out: os.Stderr}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Trace, Output: w}), w
}
