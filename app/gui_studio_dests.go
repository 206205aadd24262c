package app

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The Studio's destinations: a list of rows under the preview, each with
// its health light, name (key masked), state and figures, its own Start /
// Stop and Remove. The Destination card's fields (Service, Server, Stream
// key) edit the selected row; Add destination makes a new one. The list
// is kept in the preferences (prefDests).

// The health lights' colours: apart from the test picture's bars, so a
// screenshot tells them from it.
var healthColors = map[health]color.NRGBA{
	healthOff:      {R: 158, G: 158, B: 158, A: 255},
	healthOK:       {R: 67, G: 160, B: 71, A: 255},
	healthAdapting: {R: 251, G: 192, B: 45, A: 255},
	healthBad:      {R: 229, G: 57, B: 53, A: 255},
}

// destRow is one destination's row: tapped, the editor shows it. UI
// goroutine only.
type destRow struct {
	id        int
	set       destSetting
	light     *canvas.Circle
	text      *widget.RichText // name, then state and figures or why it failed
	name      string           // what text shows
	info      string
	startBtn  *widget.Button
	removeBtn *widget.Button
	bg        *canvas.Rectangle // the selection's highlight
	obj       *tapBox
	fig       *outputLine // its last figures while live; nil otherwise
	target    float64     // the video bitrate target, kb/s, with fig
}

// newDestList builds the rows from the preferences and the header with
// Add destination; called while the Studio is built, after the editor's
// fields.
func (s *studioView) newDestList() fyne.CanvasObject {
	s.destBox = container.NewVBox()
	for _, d := range loadDests(s.g.prefs) {
		s.newRow(d)
	}
	s.addBtn = widget.NewButtonWithIcon("Add destination", theme.ContentAddIcon(), s.addDestination)
	title := widget.NewLabel("Destinations")
	title.TextStyle.Bold = true
	if len(s.rows) > 0 {
		s.selectRow(s.rows[0])
	} else {
		s.selectRow(nil)
	}
	return container.NewVBox(container.NewBorder(nil, nil, title, s.addBtn), s.destBox)
}

// newRow adds a row for d at the end of the list; UI goroutine.
func (s *studioView) newRow(d destSetting) *destRow {
	s.nextRow++
	r := &destRow{id: s.nextRow, set: d}
	r.light = canvas.NewCircle(healthColors[healthOff])
	r.light.StrokeWidth = 0
	r.text = widget.NewRichText(
		&widget.TextSegment{Style: widget.RichTextStyle{ColorName: theme.ColorNameForeground, SizeName: theme.SizeNameText,
			TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Style: widget.RichTextStyleParagraph},
	)
	r.text.Truncation = fyne.TextTruncateEllipsis
	r.startBtn = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), func() { s.pressRow(r) })
	r.removeBtn = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { s.removeRow(r) })
	r.bg = canvas.NewRectangle(color.Transparent)
	r.bg.CornerRadius = theme.InputRadiusSize()
	light := container.NewCenter(container.NewGridWrap(fyne.NewSize(14, 14), r.light))
	row := container.NewBorder(nil, nil, light, container.NewCenter(container.NewHBox(r.startBtn, r.removeBtn)), r.text)
	r.obj = newTapBox(container.NewStack(r.bg, row), func() { s.selectRow(r) })
	s.rows = append(s.rows, r)
	s.studioState.addDest(r.id)
	s.destBox.Add(r.obj)
	s.refreshRow(r)
	return r
}

// row is the row with id; nil when gone.
func (s *studioView) row(id int) *destRow {
	for _, r := range s.rows {
		if r.id == id {
			return r
		}
	}
	return nil
}

// addDestination is Add destination: a new Custom row, selected for the
// editor; UI goroutine.
func (s *studioView) addDestination() {
	r := s.newRow(destSetting{})
	s.saveDests()
	s.selectRow(r)
	s.setStatus("New destination: choose its service or type its server, then paste its stream key.")
}

// removeRow is a row's Remove (only while it is off); UI goroutine.
func (s *studioView) removeRow(r *destRow) {
	if !s.studioState.removeDest(r.id) {
		return
	}
	i := slices.Index(s.rows, r)
	s.rows = slices.Delete(s.rows, i, i+1)
	s.destBox.Remove(r.obj)
	s.saveDests()
	if s.sel == r {
		if len(s.rows) > 0 {
			s.selectRow(s.rows[min(i, len(s.rows)-1)])
		} else {
			s.selectRow(nil)
		}
	}
	s.setStatus("Removed " + r.set.label(s.loopbackURL) + ".")
	s.showPhase()
}

// selectRow shows row r in the editor (nil: none, the editor is off); UI
// goroutine.
func (s *studioView) selectRow(r *destRow) {
	s.sel = r
	for _, o := range s.rows {
		if o == r {
			o.bg.FillColor = theme.Color(theme.ColorNameSelection)
		} else {
			o.bg.FillColor = color.Transparent
		}
		o.bg.Refresh()
	}
	if r != nil {
		s.loadingRow = true
		s.serviceSel.SetSelected(serviceLabelOf(s.services, r.set.Service))
		s.server.SetText(r.set.form(s.loopbackURL).server)
		s.key.SetText(r.set.Key)
		s.loadingRow = false
		s.destCard.SetSubTitle(r.set.label(s.loopbackURL))
		s.keyChanged()
		s.checkService()
	} else {
		s.destCard.SetSubTitle("Add a destination to go live")
	}
	s.setEditor()
}

// editorChanged follows the editor's fields into the selected row and
// keeps the list; UI goroutine.
func (s *studioView) editorChanged() {
	r := s.sel
	if r == nil || s.loadingRow {
		return
	}
	server := s.server.Text
	if s.serviceID() == "" && server == s.loopbackURL {
		server = "" // follows the loopback server
	}
	r.set = destSetting{Service: s.serviceID(), Server: server, Key: s.key.Text}
	s.saveDests()
	s.destCard.SetSubTitle(r.set.label(s.loopbackURL))
	s.refreshRow(r)
}

// setEditor enables the editor's fields while the selected row is off;
// UI goroutine.
func (s *studioView) setEditor() {
	on := s.sel != nil && s.phase != phaseEnding
	if on {
		if d := s.dest(s.sel.id); d == nil || d.out != outOff {
			on = false
		}
	}
	for _, w := range []fyne.Disableable{s.serviceSel, s.server, s.key} {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// saveDests keeps the list in the preferences; UI goroutine.
func (s *studioView) saveDests() {
	s.g.setString(prefDests, formatDests(s.settings()))
}

// settings is every row's destination, in order.
func (s *studioView) settings() []destSetting {
	out := make([]destSetting, len(s.rows))
	for i, r := range s.rows {
		out[i] = r.set
	}
	return out
}

// refreshRows redraws every row; UI goroutine.
func (s *studioView) refreshRows() {
	for _, r := range s.rows {
		s.refreshRow(r)
	}
}

// refreshRow makes row r follow its state and figures; UI goroutine.
func (s *studioView) refreshRow(r *destRow) {
	d := s.dest(r.id)
	if d == nil {
		return
	}
	h, info := rowStatus(*d, r.fig, r.target)
	if c := healthColors[h]; r.light.FillColor != c {
		r.light.FillColor = c
		r.light.Refresh()
	}
	if name := r.set.label(s.loopbackURL); r.name != name || r.info != info {
		r.name, r.info = name, info
		r.text.Segments[0].(*widget.TextSegment).Text = name
		r.text.Segments[1].(*widget.TextSegment).Text = info
		r.text.Refresh()
	}
	if t := destButtonText(d.out); r.startBtn.Text != t {
		r.startBtn.SetText(t)
		if d.out == outOff {
			r.startBtn.SetIcon(theme.MediaPlayIcon())
		} else {
			r.startBtn.SetIcon(theme.MediaStopIcon())
		}
	}
	if s.canPress(d.out) {
		r.startBtn.Enable()
	} else {
		r.startBtn.Disable()
	}
	if d.out == outOff {
		r.removeBtn.Enable()
	} else {
		r.removeBtn.Disable()
	}
}

// tapBox is content that does something when tapped (the buttons in it
// take their own taps).
type tapBox struct {
	widget.BaseWidget
	content fyne.CanvasObject
	tapped  func()
}

func newTapBox(content fyne.CanvasObject, tapped func()) *tapBox {
	t := &tapBox{content: content, tapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tapBox) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

func (t *tapBox) Tapped(*fyne.PointEvent) { t.tapped() }

// rowStatus is a row's light and text: its state, and while it sends its
// figures ("live · 2480 of 2500 kb/s · queue 40 ms · reconnects 0 ·
// dropped 0"; for RTMFP "live · 2480 of 2500 kb/s · queue 0 ms · RTT 102
// ms · lost 92 · abandoned 0"), or why its start failed.
func rowStatus(d destRun, fig *outputLine, targetKbps float64) (health, string) {
	switch d.out {
	case outOff:
		if d.failed != "" {
			return healthBad, "failed: " + d.failed
		}
		return healthOff, "off"
	case outStarting:
		return healthOff, "connecting…"
	case outStopping:
		return healthOff, "stopping…"
	}
	if fig == nil {
		return healthOff, "live"
	}
	if r := fig.RTMFP; r != nil {
		// The session's own figures; reconnects and drops only when some
		// happened, so that the row fits.
		text := fmt.Sprintf("%s · %.0f of %.0f kb/s · queue %.0f ms · RTT %.0f ms · lost %d · abandoned %d",
			fig.State, fig.VideoKbps, targetKbps, fig.QueueMs, r.RTTMs, r.Lost, r.Abandoned)
		if fig.Reconnects > 0 {
			text += fmt.Sprintf(" · reconnects %d", fig.Reconnects)
		}
		if fig.Dropped > 0 {
			text += fmt.Sprintf(" · dropped %d", fig.Dropped)
		}
		return fig.health, text
	}
	return fig.health, fmt.Sprintf("%s · %.0f of %.0f kb/s · queue %.0f ms · reconnects %d · dropped %d",
		fig.State, fig.VideoKbps, targetKbps, fig.QueueMs, fig.Reconnects, fig.Dropped)
}

// rowLabels names the rows ids, for the status line.
func (s *studioView) rowLabels(ids []int) string {
	var names []string
	for _, id := range ids {
		if r := s.row(id); r != nil {
			names = append(names, r.set.label(s.loopbackURL))
		}
	}
	return strings.Join(names, ", ")
}
