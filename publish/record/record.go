// Package record writes the broadcast's encoded packets to a file while it
// runs: the same packets the destinations get, no second encode. A
// Recorder takes packets without ever blocking its caller (a bounded queue,
// drops counted) and writes them on its own goroutine.
//
// Files survive a crash of the process: everything written up to about a
// second before it can be played (see Format). MP4 is fragmented (a moov
// without samples, then a moof + mdat every FragmentDuration), Matroska
// closes a cluster every FragmentDuration, FLV is written a tag at a time.
// The writer flushes after every packet it hands to the file, so what the
// muxer has finished is in the operating system's hands at once.
package record
