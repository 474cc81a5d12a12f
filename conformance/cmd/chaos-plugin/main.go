// chaos-plugin: the go-plugin (v1.8) KV plugin, misbehaving on request, for the chaos suite. Twin of
// packages/host/test/fixtures/chaos-plugin.mjs:
//
//	CHAOS_MODE (before serving): junk | silent | flood-early | ignore-term | fork | (unset: normal)
//	Get(key) faults: crash | hang | flood | drop | dial-exit:<broker id>; other keys read the store.
//
// Cookie BASIC_PLUGIN=hello, version 1, plugin set {"kv"}, plugin.DefaultGRPCServer (4 MiB receive limit).
package main

import (
	"context"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
	"github.com/plugwire/plugwire/conformance/internal/chaosfix"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

type chaosKV struct {
	shared.KV
	broker *plugin.GRPCBroker
	server *grpc.Server
}

func (c *chaosKV) Get(ctx context.Context, r *kvpb.GetRequest) (*kvpb.GetResponse, error) {
	switch {
	case r.Key == "crash":
		os.Exit(3)
	case r.Key == "hang":
		chaosfix.Forever()
	case r.Key == "flood":
		_ = chaosfix.Flood(os.Stdout, 4*chaosfix.MiB, chaosfix.MiB, 'a')
		_ = chaosfix.Flood(os.Stderr, 4*chaosfix.MiB, chaosfix.MiB, 'A')
	case r.Key == "drop":
		// Close every connection (and the listener) while this call is in flight.
		go c.server.Stop()
		<-ctx.Done()
		return nil, ctx.Err()
	case strings.HasPrefix(r.Key, "dial-exit:"):
		id, _ := strconv.ParseUint(strings.TrimPrefix(r.Key, "dial-exit:"), 10, 32)
		go func() {
			if conn, err := c.broker.Dial(uint32(id)); err == nil {
				conn.Connect()
			}
			os.Exit(4)
		}()
		chaosfix.Forever()
	}
	return c.KV.Get(ctx, r)
}

func main() {
	mode := chaosfix.Mode()
	chaosfix.BeforeServe(mode)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.BasicHandshake,
		Plugins: plugin.PluginSet{"kv": &shared.GRPC{Register: func(b *plugin.GRPCBroker, s *grpc.Server) error {
			kvpb.RegisterKVServer(s, &chaosKV{broker: b, server: s})
			return nil
		}}},
		GRPCServer: plugin.DefaultGRPCServer,
	})
	if mode == "ignore-term" {
		// Shutdown stopped the server; a well-behaved plugin would exit now. This one lingers.
		chaosfix.Forever()
	}
}
