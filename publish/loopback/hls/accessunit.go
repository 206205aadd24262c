package hls

import (
	"fmt"

	"onair/publish/flv"
)

// audNALU is an access unit delimiter (ITU-T H.264 7.3.2.4) with
// primary_pic_type 7: the picture may hold slices of any type.
const audNALU = "\x09\xf0"

// annexBStartCode is the 4-byte start code written before each NAL unit.
const annexBStartCode = "\x00\x00\x00\x01"

// parameterSets returns the SPS and PPS NAL units of H.264 extradata, in
// order: Annex-B as libx264 gives it with the global-header flag, or an
// AVCDecoderConfigurationRecord (it begins with 0x01). Empty extradata
// gives none: the stream must then carry its parameter sets in band. The
// NAL units alias extradata. Errors: those of flv.SplitAnnexB and
// flv.AVCDecoderConfigurationRecord.Unmarshal.
func parameterSets(extradata []byte) ([][]byte, error) {
	if len(extradata) == 0 {
		return nil, nil
	}
	if extradata[0] == 1 {
		var r flv.AVCDecoderConfigurationRecord
		if err := r.Unmarshal(extradata); err != nil {
			return nil, fmt.Errorf("H.264 extradata: %w", err)
		}
		return append(append([][]byte(nil), r.SPS...), r.PPS...), nil
	}
	nalus, err := flv.SplitAnnexB(extradata)
	if err != nil {
		return nil, fmt.Errorf("H.264 extradata: %w", err)
	}
	var sets [][]byte
	for _, nalu := range nalus {
		if t := flv.NALUTypeOf(nalu); t == flv.NALUTypeSPS || t == flv.NALUTypePPS {
			sets = append(sets, nalu)
		}
	}
	return sets, nil
}

// appendAccessUnit appends an H.264 access unit as MPEG-TS wants it
// (ISO/IEC 13818-1 2.14): an access unit delimiter first, the packet's own
// if it begins with one, else a new one; then, for an IDR picture that
// does not carry both an SPS and a PPS, the parameter sets params; then the
// packet's other NAL units. Every NAL unit is written after a 4-byte start
// code. It reports whether the picture is a keyframe: it holds an IDR slice.
// Errors: those of flv.SplitAnnexB.
func appendAccessUnit(dst, annexB []byte, params [][]byte) ([]byte, bool, error) {
	nalus, err := flv.SplitAnnexB(annexB)
	if err != nil {
		return dst, false, fmt.Errorf("H.264 packet: %w", err)
	}
	var hasSPS, hasPPS, idr bool
	for _, nalu := range nalus {
		switch flv.NALUTypeOf(nalu) {
		case flv.NALUTypeSPS:
			hasSPS = true
		case flv.NALUTypePPS:
			hasPPS = true
		case flv.NALUTypeIDR:
			idr = true
		}
	}
	dst = append(dst, annexBStartCode...)
	if flv.NALUTypeOf(nalus[0]) == flv.NALUTypeAUD {
		dst = append(dst, nalus[0]...)
		nalus = nalus[1:]
	} else {
		dst = append(dst, audNALU...)
	}
	if idr && !(hasSPS && hasPPS) {
		for _, nalu := range params {
			dst = append(dst, annexBStartCode...)
			dst = append(dst, nalu...)
		}
	}
	for _, nalu := range nalus {
		if flv.NALUTypeOf(nalu) == flv.NALUTypeAUD {
			continue // only one, first
		}
		dst = append(dst, annexBStartCode...)
		dst = append(dst, nalu...)
	}
	return dst, idr, nil
}
