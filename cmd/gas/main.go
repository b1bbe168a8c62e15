// Command gas is the Genomics Annotation Service: a web site that annotates
// VCF files, its workers, and command-line tools for annotation and
// reference data. Run "gas" for the list of commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gas-project/gas/internal/cli"
)

func main() {
	// The first Ctrl+C (or SIGTERM from a service manager) asks for a
	// graceful stop; a second one kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
