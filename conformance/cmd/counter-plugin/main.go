// counter-plugin: go-plugin (v1.8) examples/bidirectional shape. Put(key, value, add_server) dials
// the host's AddHelperService through the broker, stores Sum(stored, value); Get returns it.
// Cookie BASIC_PLUGIN=hello, version 1, plugin set {"counter"}.
package main

import (
	"context"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/plugwire/plugwire/conformance/gen/plugwire/conformance/v1"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type counter struct {
	pb.UnimplementedCounterServiceServer
	broker *plugin.GRPCBroker
	log    hclog.Logger
	mu     sync.Mutex
	m      map[string]int64
}

func (c *counter) Put(ctx context.Context, r *pb.CounterPutRequest) (*pb.CounterPutResponse, error) {
	conn, err := c.broker.Dial(r.AddServer)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	sum, err := pb.NewAddHelperServiceClient(conn).Sum(ctx, &pb.SumRequest{A: c.m[r.Key], B: r.Value})
	if err != nil {
		return nil, err
	}
	c.m[r.Key] = sum.R
	c.log.Debug("put", "key", r.Key, "value", sum.R)
	return &pb.CounterPutResponse{}, nil
}

func (c *counter) Get(_ context.Context, r *pb.CounterGetRequest) (*pb.CounterGetResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &pb.CounterGetResponse{Value: c.m[r.Key]}, nil
}

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "counter-plugin", Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.BasicHandshake,
		Plugins: plugin.PluginSet{"counter": &shared.GRPC{Register: func(b *plugin.GRPCBroker, s *grpc.Server) error {
			pb.RegisterCounterServiceServer(s, &counter{broker: b, log: logger, m: map[string]int64{}})
			return nil
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}
