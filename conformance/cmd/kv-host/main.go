// kv-host: a go-plugin v1.8 host for the KV plugin (go-plugin examples/grpc shape).
//
//	kv-host [--mtls] [--legacy-check] --plugin "<command>" roundtrip KEY VALUE
//
// Runs the command with `sh -c`, Put(KEY, VALUE), Get(KEY), client.Kill(). Prints one JSON line:
//
//	{"ok":true,"value":"...","killMs":N,"forcedKill":bool,"stdout":"...","stderr":"..."}
//
// stdout/stderr are what go-plugin's SyncStdout/SyncStderr received (the plugin's post-handshake
// stdio, via GRPCStdio). --legacy-check adds "legacyCheck" (see shared.ProbeHandshake).
package main

import (
	"context"
	"errors"
	"flag"

	"github.com/hashicorp/go-plugin"

	kvpb "github.com/plugwire/plugwire/conformance/gen/kv"
	"github.com/plugwire/plugwire/conformance/internal/cli"
	"github.com/plugwire/plugwire/conformance/internal/shared"
)

func main() {
	mtls := flag.Bool("mtls", false, "enable go-plugin AutoMTLS")
	legacy := flag.Bool("legacy-check", false, "also check the handshake line as a go-plugin < v1.6 host parses it")
	command := flag.String("plugin", "", "plugin command, run with sh -c")
	flag.Parse()
	args := flag.Args()
	if *command == "" || len(args) != 3 || args[0] != "roundtrip" {
		cli.Fail(errors.New(`usage: kv-host [--mtls] [--legacy-check] --plugin "<command>" roundtrip KEY VALUE`), nil)
	}
	key, value := args[1], args[2]

	out := map[string]any{}
	if *legacy {
		lc := shared.ProbeHandshake(*command, shared.BasicHandshake)
		out["legacyCheck"] = lc
		if !lc.OK {
			cli.Fail(errors.New("legacy handshake check failed"), out)
		}
	}

	host := shared.NewHost(shared.ClientOptions{
		Name: "kv-host", Command: *command, MTLS: *mtls, Handshake: shared.BasicHandshake,
		Plugins: plugin.PluginSet{"kv_grpc": &shared.GRPC{}},
	})
	fail := func(err error) {
		host.Abort()
		out["stdout"], out["stderr"], out["forcedKill"] = host.Stdout.String(), host.Stderr.String(), host.Watch.Forced()
		cli.Fail(err, out)
	}

	remote, err := shared.Dispense(host.Client, "kv_grpc")
	if err != nil {
		fail(err)
	}
	kv := kvpb.NewKVClient(remote.Conn)
	ctx := context.Background()
	if _, err := kv.Put(ctx, &kvpb.PutRequest{Key: key, Value: []byte(value)}); err != nil {
		fail(err)
	}
	got, err := kv.Get(ctx, &kvpb.GetRequest{Key: key})
	if err != nil {
		fail(err)
	}

	killed := host.Kill()
	out["ok"] = true
	out["value"] = string(got.Value)
	out["killMs"] = killed.Milliseconds()
	out["forcedKill"] = host.Watch.Forced()
	out["stdout"] = host.Stdout.String()
	out["stderr"] = host.Stderr.String()
	cli.Emit(out)
}
