package flv

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
)

// ErrNoSequenceHeader is returned by NewAV1CodecConfigurationRecord when
// the OBUs hold no sequence header.
var ErrNoSequenceHeader = errors.New("no AV1 sequence header OBU")

// obuTypeSequenceHeader is the OBU type of a sequence header (AV1 5.3.1).
const obuTypeSequenceHeader = 1

// splitOBUs cuts data in the low-overhead format (AV1 5.2: every OBU with
// obu_has_size_field) into whole OBUs, header included; they alias data.
// Errors: ErrTruncated, ErrOutOfRange (an OBU without a size field, or a
// size beyond 32 bits).
func splitOBUs(data []byte) (obus [][]byte, err error) {
	for pos := 0; pos < len(data); {
		start := pos
		h := data[pos]
		if h&0x02 == 0 {
			return nil, fmt.Errorf("%w: OBU at byte %d has no size field", ErrOutOfRange, pos)
		}
		pos++
		if h&0x04 != 0 {
			pos++ // obu_extension_header
		}
		var size uint64
		for i := 0; ; i++ {
			if pos >= len(data) {
				return nil, fmt.Errorf("%w: OBU at byte %d: size field cut short", ErrTruncated, start)
			}
			if i == 8 {
				return nil, fmt.Errorf("%w: OBU at byte %d: size field longer than 8 bytes", ErrOutOfRange, start)
			}
			b := data[pos]
			pos++
			size |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				break
			}
		}
		if size > uint64(len(data)-pos) {
			return nil, fmt.Errorf("%w: OBU at byte %d announces %d bytes, %d remain", ErrTruncated, start, size, len(data)-pos)
		}
		end := pos + int(size)
		obus = append(obus, data[start:end:end])
		pos = end
	}
	return obus, nil
}

// NewAV1CodecConfigurationRecord makes the AV1CodecConfigurationRecord
// (av1C, AV1 Codec ISO Media File Format Binding 2.3) that FLV's av01
// SequenceStart and MP4 carry, from an encoder's extradata: the sequence
// header OBU (low-overhead format, as FFmpeg's libsvtav1 and libaom give
// it). The record's fields come from the sequence header (read with
// bluenviron/mediacommon); its configOBUs are the sequence header OBU.
// Extradata that already is a record (first byte 0x81) is returned as it
// is.
//
// Errors: those of splitOBUs, ErrNoSequenceHeader, and the sequence
// header's parse error wrapped in ErrTruncated.
func NewAV1CodecConfigurationRecord(extradata []byte) ([]byte, error) {
	if len(extradata) >= 4 && extradata[0] == av1CMarker {
		return extradata, nil
	}
	obus, err := splitOBUs(extradata)
	if err != nil {
		return nil, fmt.Errorf("AV1 extradata: %w", err)
	}
	for _, obu := range obus {
		if (obu[0]>>3)&0x0f != obuTypeSequenceHeader {
			continue
		}
		var sh av1.SequenceHeader // reads the whole OBU, header first
		if err := sh.Unmarshal(obu); err != nil {
			return nil, fmt.Errorf("%w: AV1 sequence header: %v", ErrTruncated, err)
		}
		level, tier := uint8(0), false
		if len(sh.SeqLevelIdx) > 0 {
			level = sh.SeqLevelIdx[0]
		}
		if len(sh.SeqTier) > 0 {
			tier = sh.SeqTier[0]
		}
		cc := sh.ColorConfig
		b := make([]byte, 4, 4+len(obu))
		b[0] = av1CMarker
		b[1] = sh.SeqProfile<<5 | level&0x1f
		b[2] = boolBit(tier)<<7 | boolBit(cc.HighBitDepth)<<6 | boolBit(cc.TwelveBit)<<5 | boolBit(cc.MonoChrome)<<4 |
			boolBit(cc.SubsamplingX)<<3 | boolBit(cc.SubsamplingY)<<2 | uint8(cc.ChromaSamplePosition)&0x03
		b[3] = 0 // no initial_presentation_delay
		return append(b, obu...), nil
	}
	return nil, fmt.Errorf("%w in %d bytes of extradata (%d OBUs)", ErrNoSequenceHeader, len(extradata), len(obus))
}

// AV1RecordSize is the largest picture size the sequence header in an av1C
// record allows (max_frame_width/height); ok is false when the record has
// none that parses.
func AV1RecordSize(record []byte) (width, height int, ok bool) {
	if len(record) < 4 || record[0] != av1CMarker {
		return 0, 0, false
	}
	obus, err := splitOBUs(record[4:])
	if err != nil {
		return 0, 0, false
	}
	for _, obu := range obus {
		var sh av1.SequenceHeader
		if (obu[0]>>3)&0x0f == obuTypeSequenceHeader && sh.Unmarshal(obu) == nil {
			return sh.Width(), sh.Height(), true
		}
	}
	return 0, 0, false
}
