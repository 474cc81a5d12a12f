// runner-plugin: a Compliance Framework runner plugin (cookie RUNNER_PLUGIN=AC755DCE-C118-481A-8EFA-18D8675D8122,
// version 1, set "runner", gRPC). Runner protocol from `--protocol N` or env RUNNER_PROTOCOL (default 2):
//
//	1: Init answers codes.Unimplemented (a v1 plugin).
//	2: Init dials ApiHelper (broker id apiServer) and upserts one SubjectTemplate and one RiskTemplate per policy path.
//
// Configure stores the config; Eval dials ApiHelper and sends CreateEvidence with one Evidence per
// policy path ("default" when none), every field filled deterministically (internal/runnerfix); with
// env RUNNER_BATCH=1, one CreateEvidence call per evidence.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/plugwire/plugwire/conformance/gen/runner/proto"
	"github.com/plugwire/plugwire/conformance/internal/runnerfix"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type runner struct {
	pb.UnimplementedRunnerServer
	protocol int
	broker   *plugin.GRPCBroker
	log      hclog.Logger
	mu       sync.Mutex
	config   map[string]string
}

func paths(p []string) []string {
	if len(p) == 0 {
		return []string{runnerfix.DefaultPolicy}
	}
	return p
}

func (r *runner) cfg() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.config
}

func (r *runner) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	r.mu.Lock()
	r.config = req.Config
	r.mu.Unlock()
	r.log.Info("configured", "keys", len(req.Config))
	return &pb.ConfigureResponse{}, nil
}

func (r *runner) api(id uint32) (pb.ApiHelperClient, func(), error) {
	conn, err := r.broker.Dial(id)
	if err != nil {
		return nil, nil, fmt.Errorf("dialling ApiHelper (broker id %d): %w", id, err)
	}
	return pb.NewApiHelperClient(conn), func() { conn.Close() }, nil
}

func (r *runner) Init(ctx context.Context, req *pb.InitRequest) (*pb.InitResponse, error) {
	if r.protocol < 2 {
		return nil, status.Error(codes.Unimplemented, "method Init not implemented")
	}
	api, done, err := r.api(req.ApiServer)
	if err != nil {
		return nil, err
	}
	defer done()
	if _, err := api.UpsertSubjectTemplates(ctx, &pb.UpsertSubjectTemplatesRequest{
		SubjectTemplates: []*pb.SubjectTemplate{runnerfix.SubjectTemplate(r.cfg())},
	}); err != nil {
		return nil, err
	}
	if _, err := api.UpsertRiskTemplates(ctx, &pb.UpsertRiskTemplatesRequest{
		PackageName: "conformance", RiskTemplates: runnerfix.RiskTemplates(paths(req.PolicyPaths)),
	}); err != nil {
		return nil, err
	}
	return &pb.InitResponse{}, nil
}

func (r *runner) Eval(ctx context.Context, req *pb.EvalRequest) (*pb.EvalResponse, error) {
	api, done, err := r.api(req.ApiServer)
	if err != nil {
		return nil, err
	}
	defer done()
	var ev []*pb.Evidence
	for i, p := range paths(req.PolicyPaths) {
		ev = append(ev, runnerfix.Evidence(r.cfg(), p, i))
	}
	batches := [][]*pb.Evidence{ev}
	if os.Getenv("RUNNER_BATCH") == "1" {
		// One CreateEvidence per evidence: the chaos suite's kills can land between two of them.
		batches = nil
		for _, e := range ev {
			batches = append(batches, []*pb.Evidence{e})
		}
	}
	for _, b := range batches {
		if _, err := api.CreateEvidence(ctx, &pb.CreateEvidenceRequest{Evidence: b}); err != nil {
			return &pb.EvalResponse{Status: pb.ExecutionStatus_FAILURE}, err
		}
	}
	return &pb.EvalResponse{Status: pb.ExecutionStatus_SUCCESS}, nil
}

func main() {
	protocol := 2
	if os.Getenv("RUNNER_PROTOCOL") == "1" {
		protocol = 1
	}
	flag.IntVar(&protocol, "protocol", protocol, "runner protocol: 1 (Init unimplemented) or 2")
	flag.Parse()
	logger := hclog.New(&hclog.LoggerOptions{Name: "runner-plugin", Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	logger.Info("runner plugin starting", "protocol", protocol)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.RunnerHandshake,
		Plugins: plugin.PluginSet{"runner": &shared.GRPC{Register: func(b *plugin.GRPCBroker, s *grpc.Server) error {
			pb.RegisterRunnerServer(s, &runner{protocol: protocol, broker: b, log: logger})
			return nil
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}
