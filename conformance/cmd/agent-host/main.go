// agent-host: plays the Compliance Framework agent against a runner plugin.
//
//	agent-host --plugin "<command>" --protocol 1|2 [--config k=v]... [--policy path]...
//
// Cookie RUNNER_PLUGIN=AC755DCE-C118-481A-8EFA-18D8675D8122, version 1, dispenses "runner", gRPC, no
// AutoMTLS (unless --mtls). Configure(config) → Init → Eval. For EACH Init/Eval call a NEW broker id
// serves an ApiHelper (NextId + AcceptAndServe), as the agent does. Init is always called: with
// --protocol 2 it must succeed; with --protocol 1 an UNIMPLEMENTED answer is expected and recorded.
// Prints {"ok":true,"initUnimplemented":bool,"status":"SUCCESS","evidence":[protojson...],
// "subjectTemplates":n,"riskTemplates":n,"riskPackage":"...","killMs":N,"forcedKill":bool}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/plugwire/plugwire/conformance/gen/runner/proto"
	"github.com/plugwire/plugwire/conformance/internal/cli"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

// apiHelper records everything the plugin sends back.
type apiHelper struct {
	pb.UnimplementedApiHelperServer
	mu          sync.Mutex
	evidence    []json.RawMessage
	subjects    int
	risks       int
	riskPackage string
}

func (a *apiHelper) CreateEvidence(_ context.Context, r *pb.CreateEvidenceRequest) (*pb.CreateEvidenceResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range r.Evidence {
		b, err := protojson.Marshal(e)
		if err != nil {
			return nil, err
		}
		a.evidence = append(a.evidence, b)
	}
	return &pb.CreateEvidenceResponse{}, nil
}

func (a *apiHelper) UpsertRiskTemplates(_ context.Context, r *pb.UpsertRiskTemplatesRequest) (*pb.UpsertRiskTemplatesResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.risks += len(r.RiskTemplates)
	a.riskPackage = r.PackageName
	return &pb.UpsertRiskTemplatesResponse{}, nil
}

func (a *apiHelper) UpsertSubjectTemplates(_ context.Context, r *pb.UpsertSubjectTemplatesRequest) (*pb.UpsertSubjectTemplatesResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subjects += len(r.SubjectTemplates)
	return &pb.UpsertSubjectTemplatesResponse{}, nil
}

func main() {
	command := flag.String("plugin", "", "plugin command, run with sh -c")
	protocol := flag.Int("protocol", 1, "runner protocol the plugin is configured as: 1 or 2")
	mtls := flag.Bool("mtls", false, "enable go-plugin AutoMTLS (the real agent does not)")
	var configs, policies cli.StringList
	flag.Var(&configs, "config", "k=v config entry (repeatable)")
	flag.Var(&policies, "policy", "policy path (repeatable)")
	flag.Parse()
	if *command == "" || (*protocol != 1 && *protocol != 2) || flag.NArg() != 0 {
		cli.Fail(errors.New(`usage: agent-host --plugin "<command>" --protocol 1|2 [--config k=v]... [--policy path]...`), nil)
	}
	config := map[string]string{}
	for _, kv := range configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			cli.Fail(fmt.Errorf("--config %q: want k=v", kv), nil)
		}
		config[k] = v
	}

	host := shared.NewHost(shared.ClientOptions{
		Name: "agent-host", Command: *command, MTLS: *mtls, Handshake: shared.RunnerHandshake,
		Plugins: plugin.PluginSet{"runner": &shared.GRPC{}},
	})
	fail := func(err error) {
		host.Abort()
		cli.Fail(err, nil)
	}
	remote, err := shared.Dispense(host.Client, "runner")
	if err != nil {
		fail(err)
	}
	runner := pb.NewRunnerClient(remote.Conn)
	api := &apiHelper{}
	serveAPI := func() (uint32, func()) {
		return shared.ServeOnBroker(remote.Broker, func(s *grpc.Server) { pb.RegisterApiHelperServer(s, api) })
	}
	ctx := context.Background()

	if _, err := runner.Configure(ctx, &pb.ConfigureRequest{Config: config}); err != nil {
		fail(fmt.Errorf("Configure: %w", err))
	}

	id, stop := serveAPI()
	_, err = runner.Init(ctx, &pb.InitRequest{PolicyPaths: policies, ApiServer: id})
	stop()
	initUnimplemented := status.Code(err) == codes.Unimplemented
	switch {
	case initUnimplemented && *protocol == 2:
		fail(errors.New("plugin is configured as runner protocol 2 but its Init is UNIMPLEMENTED"))
	case err != nil && !initUnimplemented:
		fail(fmt.Errorf("Init: %w", err))
	}

	id, stop = serveAPI()
	res, err := runner.Eval(ctx, &pb.EvalRequest{PolicyPaths: policies, ApiServer: id})
	stop()
	if err != nil {
		fail(fmt.Errorf("Eval: %w", err))
	}

	killed := host.Kill()
	api.mu.Lock()
	defer api.mu.Unlock()
	evidence := api.evidence
	if evidence == nil {
		evidence = []json.RawMessage{}
	}
	out := map[string]any{
		"initUnimplemented": initUnimplemented,
		"status":            res.Status.String(), "evidence": evidence,
		"subjectTemplates": api.subjects, "riskTemplates": api.risks, "riskPackage": api.riskPackage,
		"killMs": killed.Milliseconds(), "forcedKill": host.Watch.Forced(),
	}
	if res.Status != pb.ExecutionStatus_SUCCESS {
		cli.Fail(fmt.Errorf("Eval status %s", res.Status), out)
	}
	out["ok"] = true
	cli.Emit(out)
}
