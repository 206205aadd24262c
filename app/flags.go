package app

import (
	"context"
	"errors"
	"flag"
	"time"
)

// parseFlags parses a command's args with fs. stop reports that the command
// should return err at once: nil after -h (fs printed the usage), errUsage
// after a bad flag (fs already said what was wrong).
func parseFlags(fs *flag.FlagSet, args []string) (stop bool, err error) {
	switch err := fs.Parse(args); {
	case err == nil:
		return false, nil
	case errors.Is(err, flag.ErrHelp):
		return true, nil
	}
	return true, errUsage
}

// withDuration bounds ctx to d (a --duration flag); d <= 0 leaves it
// unbounded.
func withDuration(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}
