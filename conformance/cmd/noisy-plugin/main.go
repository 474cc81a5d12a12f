// noisy-plugin: NoisyService.Flood(bytes, line_length) writes exactly `bytes` bytes to os.Stdout and
// the same amount to os.Stderr (raw writes, no hclog), as lines of line_length bytes counting the
// '\n' (the last line may be shorter; line_length 0 means 80). Line i of stdout is filled with
// 'a'+i%26, of stderr with 'A'+i%26, so a reader can spot loss or reordering. Returns written =
// bytes per stream. Writes one raw "[INFO] ..." line to stderr at start.
// Cookie BASIC_PLUGIN=hello, version 1, plugin set {"noisy"}.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/plugwire/plugwire/conformance/gen/plugwire/conformance/v1"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type noisy struct {
	pb.UnimplementedNoisyServiceServer
}

func flood(w io.Writer, total, lineLen uint64, base byte) error {
	for i, left := uint64(0), total; left > 0; i++ {
		n := min(lineLen, left)
		line := make([]byte, n)
		for j := range line {
			line[j] = base + byte(i%26)
		}
		line[n-1] = '\n'
		if _, err := w.Write(line); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func (noisy) Flood(_ context.Context, r *pb.FloodRequest) (*pb.FloodResponse, error) {
	lineLen := r.LineLength
	if lineLen == 0 {
		lineLen = 80
	}
	// os.Stdout / os.Stderr are go-plugin's pipes by now: they reach the host through GRPCStdio.
	if err := flood(os.Stdout, r.Bytes, lineLen, 'a'); err != nil {
		return nil, err
	}
	if err := flood(os.Stderr, r.Bytes, lineLen, 'A'); err != nil {
		return nil, err
	}
	return &pb.FloodResponse{Written: r.Bytes}, nil
}

func main() {
	fmt.Fprintf(os.Stderr, "[INFO] noisy-plugin: starting pid=%d\n", os.Getpid())
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.BasicHandshake,
		Plugins: plugin.PluginSet{"noisy": &shared.GRPC{Register: func(_ *plugin.GRPCBroker, s *grpc.Server) error {
			pb.RegisterNoisyServiceServer(s, noisy{})
			return nil
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
