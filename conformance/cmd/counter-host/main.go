// counter-host: a go-plugin v1.8 host for the bidirectional counter plugin.
//
//	counter-host [--mtls] --plugin "<command>" add KEY N [N...]
//
// Dispenses "counter"; for each N serves AddHelperService on a NEW broker id (broker.NextId +
// AcceptAndServe) and calls Put(KEY, N, id) — the plugin dials back and calls Sum — then Get(KEY).
// Prints {"ok":true,"value":N,"sumCalls":k,"killMs":N,"forcedKill":bool}.
package main

import (
	"context"
	"errors"
	"flag"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/plugwire/plugwire/conformance/gen/plugwire/conformance/v1"
	"github.com/plugwire/plugwire/conformance/internal/cli"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type adder struct {
	pb.UnimplementedAddHelperServiceServer
	calls *atomic.Int64
}

func (a adder) Sum(_ context.Context, r *pb.SumRequest) (*pb.SumResponse, error) {
	a.calls.Add(1)
	return &pb.SumResponse{R: r.A + r.B}, nil
}

func main() {
	mtls := flag.Bool("mtls", false, "enable go-plugin AutoMTLS")
	command := flag.String("plugin", "", "plugin command, run with sh -c")
	flag.Parse()
	args := flag.Args()
	usage := errors.New(`usage: counter-host [--mtls] --plugin "<command>" add KEY N [N...]`)
	if *command == "" || len(args) < 3 || args[0] != "add" {
		cli.Fail(usage, nil)
	}
	key := args[1]
	var nums []int64
	for _, a := range args[2:] {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			cli.Fail(usage, nil)
		}
		nums = append(nums, n)
	}

	host := shared.NewHost(shared.ClientOptions{
		Name: "counter-host", Command: *command, MTLS: *mtls, Handshake: shared.BasicHandshake,
		Plugins: plugin.PluginSet{"counter": &shared.GRPC{}},
	})
	var calls atomic.Int64
	fail := func(err error) {
		host.Abort()
		cli.Fail(err, map[string]any{"sumCalls": calls.Load()})
	}
	remote, err := shared.Dispense(host.Client, "counter")
	if err != nil {
		fail(err)
	}
	counter := pb.NewCounterServiceClient(remote.Conn)
	ctx := context.Background()
	for _, n := range nums {
		id, stop := shared.ServeOnBroker(remote.Broker, func(s *grpc.Server) {
			pb.RegisterAddHelperServiceServer(s, adder{calls: &calls})
		})
		_, err := counter.Put(ctx, &pb.CounterPutRequest{Key: key, Value: n, AddServer: id})
		stop()
		if err != nil {
			fail(err)
		}
	}
	got, err := counter.Get(ctx, &pb.CounterGetRequest{Key: key})
	if err != nil {
		fail(err)
	}
	killed := host.Kill()
	cli.Emit(map[string]any{
		"ok": true, "value": got.Value, "sumCalls": calls.Load(),
		"killMs": killed.Milliseconds(), "forcedKill": host.Watch.Forced(),
	})
}
