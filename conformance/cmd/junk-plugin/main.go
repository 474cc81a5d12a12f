// junk-plugin: the KV plugin, but it prints a non-handshake line to stdout before plugin.Serve,
// which go-plugin hosts reject ("Unrecognized remote plugin message: ...").
package main

import (
	"fmt"

	"github.com/plugwire/plugwire/conformance/internal/shared"
)

func main() {
	fmt.Println("this is not a handshake")
	shared.ServeKV("junk-plugin")
}
