// kv-plugin-v1_0: the KV plugin built with go-plugin v1.0.1 (no GRPCStdio service, 6-field
// handshake, no multiplexing). Cookie BASIC_PLUGIN=hello, version 1, set "kv_grpc".
package main

import "github.com/plugwire/plugwire/conformance/legacy/internal/shared"

func main() { shared.ServeKV("kv-plugin-v1_0") }
