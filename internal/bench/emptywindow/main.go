// Command emptywindow opens an empty Fyne window of the OnAir window's
// size: the floor of what any Fyne window costs on this display, measured
// by `make bench` beside the idle OnAir window.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("dev.onair.bench.emptywindow")
	w := a.NewWindow("empty")
	w.SetContent(widget.NewLabel(""))
	w.Resize(fyne.NewSize(1200, 760))
	w.ShowAndRun()
}
