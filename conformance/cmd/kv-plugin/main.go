// kv-plugin: go-plugin (v1.8) examples/grpc-shaped KV plugin. Cookie BASIC_PLUGIN=hello, version 1,
// plugin set {"kv_grpc"}, plugin.DefaultGRPCServer; logs one JSON hclog line to stderr at start.
package main

import "github.com/plugwire/plugwire/conformance/internal/shared"

func main() { shared.ServeKV("kv-plugin") }
