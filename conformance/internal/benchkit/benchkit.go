// Package benchkit holds what the go-plugin benchmark programs share: launching a plugin with a
// go-plugin v1.8 client the way a Go application would (exec, no shell, quiet logs), and timing
// loops whose results the TypeScript bench runner (bench/) compares with ours.
package benchkit

import (
	"io"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/plugwire/plugwire/conformance/internal/shared"
)

// Launch starts the plugin executable (no `sh -c`, so spawn cost matches a direct exec) with a
// go-plugin v1.8 client and dispenses `name`. Logs are discarded: the bench measures calls, not logging.
func Launch(path, name string) (*plugin.Client, *shared.Remote, error) {
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.BasicHandshake,
		Plugins:          plugin.PluginSet{name: &shared.GRPC{}},
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard}),
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
	})
	remote, err := shared.Dispense(c, name)
	if err != nil {
		c.Kill()
		return nil, nil, err
	}
	return c, remote, nil
}

// Latency is the result of Sequential: one call at a time.
type Latency struct {
	Calls       int     `json:"calls"`
	P50Us       float64 `json:"p50Us"`
	P99Us       float64 `json:"p99Us"`
	CallsPerSec float64 `json:"callsPerSec"`
}

// Sequential runs call n times back to back and reports per-call latency percentiles and the rate.
func Sequential(n int, call func() error) (Latency, error) {
	samples := make([]time.Duration, n)
	start := time.Now()
	for i := range samples {
		t := time.Now()
		if err := call(); err != nil {
			return Latency{}, err
		}
		samples[i] = time.Since(t)
	}
	total := time.Since(start)
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	return Latency{
		Calls:       n,
		P50Us:       micros(samples[n/2]),
		P99Us:       micros(samples[(n*99)/100]),
		CallsPerSec: float64(n) / total.Seconds(),
	}, nil
}

// Throughput is the result of Concurrent.
type Throughput struct {
	Calls       int     `json:"calls"`
	InFlight    int     `json:"inFlight"`
	CallsPerSec float64 `json:"callsPerSec"`
}

// Concurrent runs n calls with `inFlight` of them outstanding at any time (one goroutine each,
// as a Go application would) and reports the rate.
func Concurrent(n, inFlight int, call func() error) (Throughput, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	start := time.Now()
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := call(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return Throughput{}, firstErr
	}
	return Throughput{Calls: n, InFlight: inFlight, CallsPerSec: float64(n) / time.Since(start).Seconds()}, nil
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
