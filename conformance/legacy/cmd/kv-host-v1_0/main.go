// kv-host-v1_0: the KV host built with go-plugin v1.0.1 (parses at most 6 handshake fields, never
// calls GRPCStdio, so "stdout"/"stderr" stay empty unless the plugin logs them some other way).
//
//	kv-host-v1_0 [--mtls] --plugin "<command>" roundtrip KEY VALUE
//
// Prints {"ok":true,"value":"...","killMs":N,"forcedKill":bool,"stdout":"...","stderr":"..."}.
package main

import (
	"context"
	"errors"
	"flag"

	"google.golang.org/grpc"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
	"github.com/plugwire/plugwire/conformance/legacy/internal/shared"
)

func main() {
	mtls := flag.Bool("mtls", false, "enable go-plugin AutoMTLS (v1.0.1 already had it)")
	command := flag.String("plugin", "", "plugin command, run with sh -c")
	flag.Parse()
	args := flag.Args()
	if *command == "" || len(args) != 3 || args[0] != "roundtrip" {
		shared.Fail(errors.New(`usage: kv-host-v1_0 [--mtls] --plugin "<command>" roundtrip KEY VALUE`), nil)
	}
	host := shared.NewHost("kv-host-v1_0", *command, *mtls)
	fail := func(err error) {
		host.Abort()
		shared.Fail(err, map[string]any{"stdout": host.Stdout.String(), "stderr": host.Stderr.String(), "forcedKill": host.Forced()})
	}
	rpc, err := host.Client.Client()
	if err != nil {
		fail(err)
	}
	raw, err := rpc.Dispense("kv_grpc")
	if err != nil {
		fail(err)
	}
	kv := kvpb.NewKVClient(raw.(*grpc.ClientConn))
	ctx := context.Background()
	if _, err := kv.Put(ctx, &kvpb.PutRequest{Key: args[1], Value: []byte(args[2])}); err != nil {
		fail(err)
	}
	got, err := kv.Get(ctx, &kvpb.GetRequest{Key: args[1]})
	if err != nil {
		fail(err)
	}
	killed := host.Kill()
	shared.Emit(map[string]any{
		"ok": true, "value": string(got.Value), "killMs": killed.Milliseconds(), "forcedKill": host.Forced(),
		"stdout": host.Stdout.String(), "stderr": host.Stderr.String(),
	})
}
