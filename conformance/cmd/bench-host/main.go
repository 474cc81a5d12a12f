// bench-host: go-plugin v1.8's Go host as the baseline of `pnpm bench` (bench/).
//
//	bench-host unary  --plugin PATH [--warmup N] [--seq N] [--conc N] [--inflight N]
//	bench-host cold   --plugin PATH [--samples N]
//	bench-host broker --plugin PATH [--warmup N] [--calls N]
//
// unary: KV plugin ("kv_grpc"); Put once, then Get sequentially (p50/p99, calls/s) and with
// --inflight calls outstanding (calls/s). cold: per sample, a new client: spawn → handshake →
// Dispense → first Get answered, in ms; the process's first launch is the warm-up, reported apart
// as firstMs. broker: counter plugin; each Put serves AddHelper on a new broker id (go-plugin's
// examples/bidirectional shape) and the plugin dials back and calls Sum: the callback round trip,
// p50/p99. Prints one JSON line.
package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
	pb "github.com/plugwire/plugwire/conformance/gen/plugwire/conformance/v1"
	"github.com/plugwire/plugwire/conformance/internal/benchkit"
	"github.com/plugwire/plugwire/conformance/internal/cli"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type adder struct {
	pb.UnimplementedAddHelperServiceServer
}

func (adder) Sum(_ context.Context, r *pb.SumRequest) (*pb.SumResponse, error) {
	return &pb.SumResponse{R: r.A + r.B}, nil
}

func main() {
	path := flag.String("plugin", "", "plugin executable")
	warmup := flag.Int("warmup", 2000, "untimed calls first")
	seq := flag.Int("seq", 5000, "sequential calls")
	conc := flag.Int("conc", 50000, "calls in the concurrent run")
	inFlight := flag.Int("inflight", 64, "calls outstanding in the concurrent run")
	samples := flag.Int("samples", 10, "cold starts")
	calls := flag.Int("calls", 2000, "broker callback calls")
	usage := errors.New("usage: bench-host unary|cold|broker --plugin PATH [flags]")
	if len(os.Args) < 2 {
		cli.Fail(usage, nil)
	}
	mode := os.Args[1]
	if err := flag.CommandLine.Parse(os.Args[2:]); err != nil || *path == "" || flag.NArg() != 0 {
		cli.Fail(usage, nil)
	}
	ctx := context.Background()
	switch mode {
	case "unary":
		client, remote, err := benchkit.Launch(*path, "kv_grpc")
		check(err)
		defer client.Kill()
		kv := kvpb.NewKVClient(remote.Conn)
		_, err = kv.Put(ctx, &kvpb.PutRequest{Key: "k", Value: []byte("value")})
		check(err)
		get := func() error { _, err := kv.Get(ctx, &kvpb.GetRequest{Key: "k"}); return err }
		_, err = benchkit.Sequential(*warmup, get)
		check(err)
		s, err := benchkit.Sequential(*seq, get)
		check(err)
		c, err := benchkit.Concurrent(*conc, *inFlight, get)
		check(err)
		client.Kill()
		cli.Emit(map[string]any{"ok": true, "sequential": s, "concurrent": c})
	case "cold":
		// The first launch of the process is the warm-up, reported as firstMs; then the timed samples.
		first := 0.0
		ms := make([]float64, 0, *samples)
		for i := 0; i <= *samples; i++ {
			start := time.Now()
			client, remote, err := benchkit.Launch(*path, "kv_grpc")
			check(err)
			_, err = kvpb.NewKVClient(remote.Conn).Get(ctx, &kvpb.GetRequest{Key: "k"})
			elapsed := float64(time.Since(start).Microseconds()) / 1e3
			client.Kill()
			check(err)
			if i == 0 {
				first = elapsed
			} else {
				ms = append(ms, elapsed)
			}
		}
		sort.Float64s(ms)
		cli.Emit(map[string]any{"ok": true, "firstMs": first, "startMs": ms})
	case "broker":
		client, remote, err := benchkit.Launch(*path, "counter")
		check(err)
		defer client.Kill()
		counter := pb.NewCounterServiceClient(remote.Conn)
		put := func() error {
			id, stop := shared.ServeOnBroker(remote.Broker, func(s *grpc.Server) {
				pb.RegisterAddHelperServiceServer(s, adder{})
			})
			defer stop()
			_, err := counter.Put(ctx, &pb.CounterPutRequest{Key: "k", Value: 1, AddServer: id})
			return err
		}
		_, err = benchkit.Sequential(*warmup, put)
		check(err)
		s, err := benchkit.Sequential(*calls, put)
		check(err)
		client.Kill()
		cli.Emit(map[string]any{"ok": true, "sequential": s})
	default:
		cli.Fail(errors.New("unknown mode "+mode), nil)
	}
}

func check(err error) {
	if err != nil {
		cli.Fail(err, nil)
	}
}
