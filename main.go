// Command onair is OnAir, a desktop live-streaming studio. See README.md.
package main

import (
	"os"

	"onair/app"
)

func main() { os.Exit(app.Main(os.Args[1:])) }
