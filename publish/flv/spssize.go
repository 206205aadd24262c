package flv

import "fmt"

// SPSSize reads the displayed picture size (after cropping) from an H.264
// SPS NAL unit, header byte included (ITU-T H.264 7.3.2.1.1 and 7.4.2.1.1).
func SPSSize(sps []byte) (width, height int, ok bool) {
	w, h, err := parseSPSSize(sps)
	return w, h, err == nil
}

func parseSPSSize(sps []byte) (int, int, error) {
	if len(sps) < 4 {
		return 0, 0, fmt.Errorf("%w: SPS of %d bytes", ErrTruncated, len(sps))
	}
	profile := sps[1]
	r := bitReader{b: unescapeRBSP(sps[4:], 512)}
	var err error
	ue := func() uint32 {
		if err != nil {
			return 0
		}
		var v uint32
		v, err = r.ue()
		return v
	}
	bit := func() uint32 {
		if err != nil {
			return 0
		}
		var v uint32
		v, err = r.bits(1)
		return v
	}
	se := func() int32 {
		v := ue()
		if v&1 == 1 {
			return int32((v + 1) / 2)
		}
		return -int32(v / 2)
	}
	ue() // seq_parameter_set_id
	chroma := uint32(1)
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = ue()
		if chroma == 3 {
			bit() // separate_colour_plane_flag
		}
		ue()            // bit_depth_luma_minus8
		ue()            // bit_depth_chroma_minus8
		bit()           // qpprime_y_zero_transform_bypass_flag
		if bit() == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := 0; i < lists && err == nil; i++ {
				if bit() == 0 {
					continue
				}
				size := 16
				if i >= 6 {
					size = 64
				}
				last, next := int32(8), int32(8)
				for j := 0; j < size && err == nil; j++ {
					if next != 0 {
						next = (last + se() + 256) % 256
					}
					if next != 0 {
						last = next
					}
				}
			}
		}
	}
	if chroma > 3 {
		return 0, 0, fmt.Errorf("%w: SPS chroma_format_idc %d", ErrOutOfRange, chroma)
	}
	ue()          // log2_max_frame_num_minus4
	switch ue() { // pic_order_cnt_type
	case 0:
		ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		bit() // delta_pic_order_always_zero_flag
		se()  // offset_for_non_ref_pic
		se()  // offset_for_top_to_bottom_field
		n := ue()
		if n > 255 {
			return 0, 0, fmt.Errorf("%w: SPS num_ref_frames_in_pic_order_cnt_cycle %d", ErrOutOfRange, n)
		}
		for i := uint32(0); i < n && err == nil; i++ {
			se()
		}
	}
	ue()  // max_num_ref_frames
	bit() // gaps_in_frame_num_value_allowed_flag
	wMbs := ue() + 1
	hMaps := ue() + 1
	frameMbsOnly := bit()
	if frameMbsOnly == 0 {
		bit() // mb_adaptive_frame_field_flag
	}
	bit() // direct_8x8_inference_flag
	var cl, cr, ct, cb uint32
	if bit() == 1 {
		cl, cr, ct, cb = ue(), ue(), ue(), ue()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("SPS: %w", err)
	}
	if wMbs > 1024 || hMaps > 1024 {
		return 0, 0, fmt.Errorf("%w: SPS size %dx%d macroblocks", ErrOutOfRange, wMbs, hMaps)
	}
	cropX, cropY := uint32(1), 2-frameMbsOnly
	switch chroma {
	case 1:
		cropX, cropY = 2, 2*(2-frameMbsOnly)
	case 2:
		cropX = 2
	}
	w := int(wMbs*16) - int(cropX*(cl+cr))
	h := int((2-frameMbsOnly)*hMaps*16) - int(cropY*(ct+cb))
	if w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("%w: SPS cropping leaves %dx%d", ErrOutOfRange, w, h)
	}
	return w, h, nil
}
