// Package testsignal draws and reads the machine-readable marks of OnAir's
// built-in test source, as specified in specs/testsignal.md:
//
//   - the timecode stripe: 64 black/white cells in the top band of a frame
//     that carry the frame's capture time as 48-bit Unix milliseconds with a
//     CRC-8 (DrawStripe, ReadStripe);
//   - the video sync mark: a square in the bottom-right corner that is white
//     for frames captured in the first 100 ms of each wall-clock second
//     (SyncSquare, SyncOn, DrawSyncSquare, ReadSyncSquare);
//   - the audio sync mark: a 1 kHz beep at -6 dBFS during the first 100 ms of
//     each wall-clock second over a 440 Hz tone at -30 dBFS (BeepOn,
//     ToneGenerator, BeepDetector).
//
// The functions are pure and work on the luma (Y) plane of a frame, given as
// a byte slice, its stride and the frame's width and height, so the source
// draws with them and the player and tests read with them. Pixel values are
// limited-range (LumaBlack, LumaWhite); FillNeutralChroma420 keeps a mark's
// chroma neutral in YUV 4:2:0 so that it stays black and white after
// encoding.
package testsignal

// Pixel values of the marks (8-bit, limited range).
const (
	// LumaWhite is the luma of a 1 cell and of a lit sync square.
	LumaWhite = 235
	// LumaBlack is the luma of a 0 cell, of a dark sync square and of the
	// stripe band right of cell 63.
	LumaBlack = 16
	// LumaThreshold is the mean luma at and above which a reader calls a
	// cell or the sync square white.
	LumaThreshold = 128
	// ChromaNeutral is the Cb and Cr value of grey.
	ChromaNeutral = 128
)
