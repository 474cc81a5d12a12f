// go-plugin v1.0.1 programs (the protocol before GRPCStdio, multiplexing and the 7th handshake
// field), kept in their own module so Go's minimal version selection cannot lift go-plugin to v1.8.
// They share ../gen with the v1.8 module. v1.0.1 was written against grpc v1.14 / golang/protobuf
// v1.2, but it still compiles and interoperates with the grpc + protobuf versions gen needs
// (grpc v1.85, protobuf v1.36, golang/protobuf v1.5.4 as the APIv2 shim): checked by building and by
// the kv-host-v1_0 <-> kv-plugin(-v1_0) round trips, plain and AutoMTLS. One trap: v1.0.1's go.mod
// pulls the old monolithic google.golang.org/genproto, which makes `go mod tidy` report an ambiguous
// import of googleapis/rpc/... on a fresh module; `go get google.golang.org/genproto@latest` once
// (then tidy) resolves it. Builds with the committed go.sum are unaffected.
module github.com/plugwire/plugwire/conformance/legacy

go 1.26.0

require (
	github.com/hashicorp/go-hclog v0.0.0-20180709165350-ff2cf002a8dd
	github.com/hashicorp/go-plugin v1.0.1
	github.com/plugwire/plugwire/conformance/gen v0.0.0
	google.golang.org/grpc v1.85.0
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/yamux v0.0.0-20180604194846-3520598351bb // indirect
	github.com/mitchellh/go-testing-interface v0.0.0-20171004221916-a61a99592b77 // indirect
	github.com/oklog/run v1.0.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261019180522-ce908d29299b // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/plugwire/plugwire/conformance/gen => ../gen
