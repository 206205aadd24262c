package hls

import "encoding/binary"

// Program specific information (ISO/IEC 13818-1 2.4.4): one program,
// number 1, in a transport stream with ID 1, version 0 of every table.
const (
	programNumber     = 1
	transportStreamID = 1
	tableIDPAT        = 0x00
	tableIDPMT        = 0x02
)

// pmtStream is one elementary stream listed in the PMT.
type pmtStream struct {
	streamType byte
	pid        uint16
}

// patSection returns the program association section: program 1 and its
// PMT PID.
func patSection(pmtPID uint16) []byte {
	b := sectionHeader(tableIDPAT, transportStreamID)
	b = binary.BigEndian.AppendUint16(b, programNumber)
	b = binary.BigEndian.AppendUint16(b, 0xe000|pmtPID)
	return finishSection(b)
}

// pmtSection returns the program map section of program 1: its PCR PID and
// its streams, without descriptors.
func pmtSection(pcrPID uint16, streams []pmtStream) []byte {
	b := sectionHeader(tableIDPMT, programNumber)
	b = binary.BigEndian.AppendUint16(b, 0xe000|pcrPID)
	b = binary.BigEndian.AppendUint16(b, 0xf000) // program_info_length 0
	for _, s := range streams {
		b = append(b, s.streamType)
		b = binary.BigEndian.AppendUint16(b, 0xe000|s.pid)
		b = binary.BigEndian.AppendUint16(b, 0xf000) // ES_info_length 0
	}
	return finishSection(b)
}

// sectionHeader begins a long-form section: table_id, section_length
// (filled in by finishSection), the table ID extension (transport stream
// ID or program number), version 0, current, section 0 of 0.
func sectionHeader(tableID byte, extension uint16) []byte {
	b := make([]byte, 0, 64)
	b = append(b, tableID, 0, 0)
	b = binary.BigEndian.AppendUint16(b, extension)
	return append(b, 0xc1, 0, 0) // reserved, version 0, current_next_indicator; section numbers
}

// finishSection sets section_length, with section_syntax_indicator set and
// the reserved bits as ones, and appends the CRC_32.
func finishSection(b []byte) []byte {
	length := len(b) - 3 + 4
	binary.BigEndian.PutUint16(b[1:], 0xb000|uint16(length))
	return binary.BigEndian.AppendUint32(b, crc32MPEG(b))
}

// appendSectionPacket appends a TS packet that carries a whole section:
// payload_unit_start_indicator set, pointer_field 0, the section, and 0xff
// after it. The continuity counter is 0; see tsWriter.appendTables.
func appendSectionPacket(dst []byte, pid uint16, section []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, tsPacketSize)...)
	p := dst[n:]
	p[0] = tsSyncByte
	p[1] = 0x40 | byte(pid>>8&0x1f)
	p[2] = byte(pid)
	p[3] = 0x10 // payload only
	p[4] = 0    // pointer_field
	k := copy(p[5:], section)
	for i := 5 + k; i < tsPacketSize; i++ {
		p[i] = 0xff
	}
	return dst
}
