package app

import (
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// graph draws the last n seconds of a few series (one point a second) as
// lines, each in its own lane on its own scale from zero, with its name,
// newest value and scale in the lane's corner. UI goroutine only.
type graph struct {
	widget.BaseWidget
	n      int
	series []*graphSeries
}

type graphSeries struct {
	name   string
	format string // for the legend value, e.g. "%.0f kb/s"
	col    color.Color
	vals   []float64
}

func newGraph(n int, series ...*graphSeries) *graph {
	g := &graph{n: n, series: series}
	g.ExtendBaseWidget(g)
	return g
}

// push adds one point to every series (in order) and redraws.
func (g *graph) push(vals ...float64) {
	for i, s := range g.series {
		if i >= len(vals) {
			break
		}
		s.vals = append(s.vals, vals[i])
		if len(s.vals) > g.n {
			s.vals = s.vals[len(s.vals)-g.n:]
		}
	}
	g.Refresh()
}

// reset forgets every point.
func (g *graph) reset() {
	for _, s := range g.series {
		s.vals = nil
	}
	g.Refresh()
}

func (g *graph) MinSize() fyne.Size {
	g.ExtendBaseWidget(g)
	return g.BaseWidget.MinSize()
}

func (g *graph) CreateRenderer() fyne.WidgetRenderer {
	r := &graphRenderer{g: g}
	r.bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	r.objs = append(r.objs, r.bg)
	for range g.series {
		l := canvas.NewLine(theme.Color(theme.ColorNameSeparator))
		l.StrokeWidth = 1
		r.grid = append(r.grid, l)
		r.objs = append(r.objs, l)
	}
	for _, s := range g.series {
		var ls []*canvas.Line
		for i := 0; i < g.n-1; i++ {
			l := canvas.NewLine(s.col)
			l.StrokeWidth = 2
			ls = append(ls, l)
			r.objs = append(r.objs, l)
		}
		r.lines = append(r.lines, ls)
		t := canvas.NewText("", s.col)
		t.TextSize = theme.CaptionTextSize()
		r.legend = append(r.legend, t)
		r.objs = append(r.objs, t)
	}
	r.axis = canvas.NewText(fmt.Sprintf("last %d s", g.n), theme.Color(theme.ColorNamePlaceHolder))
	r.axis.TextSize = theme.CaptionTextSize()
	r.objs = append(r.objs, r.axis)
	return r
}

type graphRenderer struct {
	g      *graph
	bg     *canvas.Rectangle
	grid   []*canvas.Line // one base line per lane
	lines  [][]*canvas.Line
	legend []*canvas.Text
	axis   *canvas.Text
	objs   []fyne.CanvasObject
}

func (r *graphRenderer) MinSize() fyne.Size {
	return fyne.NewSize(240, float32(len(r.g.series))*(theme.CaptionTextSize()+40))
}

func (r *graphRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	n := len(r.g.series)
	if n == 0 {
		return
	}
	laneH := size.Height / float32(n)
	text := theme.CaptionTextSize() + 4
	step := size.Width / float32(r.g.n-1)
	for i, s := range r.g.series {
		top := laneH*float32(i) + text + 2
		bottom := laneH*float32(i+1) - 3
		h := bottom - top
		r.grid[i].Position1, r.grid[i].Position2 = fyne.NewPos(0, bottom+2), fyne.NewPos(size.Width, bottom+2)
		max := 0.0
		for _, v := range s.vals {
			if v > max {
				max = v
			}
		}
		scale := niceCeil(max * 1.1)
		// The newest point sits at the right edge.
		off := r.g.n - len(s.vals)
		for j, l := range r.lines[i] {
			if j+1 >= len(s.vals) {
				l.Hide()
				continue
			}
			y0 := bottom - h*float32(s.vals[j]/scale)
			y1 := bottom - h*float32(s.vals[j+1]/scale)
			l.Position1 = fyne.NewPos(step*float32(off+j), y0)
			l.Position2 = fyne.NewPos(step*float32(off+j+1), y1)
			l.Show()
		}
		t := r.legend[i]
		val := "—"
		if k := len(s.vals); k > 0 {
			val = fmt.Sprintf(s.format, s.vals[k-1]) + "   (top " + fmt.Sprintf(s.format, scale) + ")"
		}
		t.Text = s.name + " " + val
		t.Move(fyne.NewPos(6, laneH*float32(i)+2))
		t.Resize(t.MinSize())
	}
	as := r.axis.MinSize()
	r.axis.Move(fyne.NewPos(size.Width-as.Width-6, 2))
	r.axis.Resize(as)
}

func (r *graphRenderer) Refresh() {
	r.Layout(r.g.Size())
	for _, o := range r.objs {
		o.Refresh()
	}
}

func (r *graphRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *graphRenderer) Destroy()                     {}

// niceCeil rounds v up to a round scale top: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or
// 8 times a power of ten (1 for v <= 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}
