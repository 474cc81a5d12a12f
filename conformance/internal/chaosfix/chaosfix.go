// Package chaosfix holds the misbehaviours of the chaos-suite Go plugins (packages/host/test/chaos),
// mirroring packages/host/test/fixtures/chaos-plugin.mjs so both languages fail the same way.
package chaosfix

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

const MiB = 1 << 20

// Mode is CHAOS_MODE: what the plugin does before serving (junk | silent | flood-early |
// ignore-term | fork, or "" for normal).
func Mode() string { return os.Getenv("CHAOS_MODE") }

// Flood writes total bytes of letter lines to w, the first line firstLine bytes long (a megabyte line).
func Flood(w io.Writer, total, firstLine int, base byte) error {
	var b bytes.Buffer
	b.Write(bytes.Repeat([]byte{base}, firstLine-1))
	b.WriteByte('\n')
	for i, left := 1, total-firstLine; left > 0; i++ {
		n := min(80, left)
		b.Write(bytes.Repeat([]byte{base + byte(i%26)}, n-1))
		b.WriteByte('\n')
		left -= n
	}
	_, err := w.Write(b.Bytes())
	return err
}

// BeforeServe runs the start-up misbehaviour of the mode. It returns false when the plugin must not
// serve at all (silent: it never prints a handshake).
func BeforeServe(mode string) bool {
	switch mode {
	case "junk":
		fmt.Println("this is not a handshake")
	case "silent":
		Forever()
	case "flood-early":
		_ = Flood(os.Stderr, 4*MiB, MiB, 'A')
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "fork":
		ForkDeafGrandchildren()
	}
	return true
}

// ForkDeafGrandchildren starts a grandchild and two great-grandchildren, all ignoring
// TERM/INT/HUP, in the plugin's own process group (go-plugin's Kill would orphan them).
func ForkDeafGrandchildren() {
	cmd := exec.Command("/bin/sh", "-c", "trap '' TERM INT HUP; (trap '' TERM INT HUP; sleep 600) & sleep 600")
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "chaos: fork failed: %v\n", err)
		os.Exit(2)
	}
	go func() { _ = cmd.Wait() }()
}

// Forever blocks the calling goroutine for good (a sleeping loop, so the runtime never reports a
// deadlock).
func Forever() {
	for {
		time.Sleep(time.Hour)
	}
}
