// versioned-plugin: VersionedPlugins {1: {"v1": V1Service}, 2: {"v2": V2Service}, 3: {"v3": V3Service}};
// each WhoAmI answers {version, implementation: "go"}. Cookie BASIC_PLUGIN=hello; the app protocol
// version is negotiated from the host's PLUGIN_PROTOCOL_VERSIONS.
package main

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/plugwire/plugwire/conformance/gen/plugwire/conformance/v1"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type v1 struct {
	pb.UnimplementedV1ServiceServer
}
type v2 struct {
	pb.UnimplementedV2ServiceServer
}
type v3 struct {
	pb.UnimplementedV3ServiceServer
}

func who(v uint32) *pb.WhoAmIResponse { return &pb.WhoAmIResponse{Version: v, Implementation: "go"} }

func (v1) WhoAmI(context.Context, *pb.WhoAmIRequest) (*pb.WhoAmIResponse, error) { return who(1), nil }
func (v2) WhoAmI(context.Context, *pb.WhoAmIRequest) (*pb.WhoAmIResponse, error) { return who(2), nil }
func (v3) WhoAmI(context.Context, *pb.WhoAmIRequest) (*pb.WhoAmIResponse, error) { return who(3), nil }

func set(name string, register func(*grpc.Server)) plugin.PluginSet {
	return plugin.PluginSet{name: &shared.GRPC{Register: func(_ *plugin.GRPCBroker, s *grpc.Server) error {
		register(s)
		return nil
	}}}
}

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "versioned-plugin", Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"},
		VersionedPlugins: map[int]plugin.PluginSet{
			1: set("v1", func(s *grpc.Server) { pb.RegisterV1ServiceServer(s, v1{}) }),
			2: set("v2", func(s *grpc.Server) { pb.RegisterV2ServiceServer(s, v2{}) }),
			3: set("v3", func(s *grpc.Server) { pb.RegisterV3ServiceServer(s, v3{}) }),
		},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}
