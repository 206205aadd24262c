package capture

// #include "screen_x11.h"
import "C"

import (
	"fmt"
	"os"
)

// x11Screens lists the screens of the display named by $DISPLAY (or
// name) as Devices, or says why there are none.
func x11Screens(name string) (devs []Device, problem string) {
	if name == "" {
		name = os.Getenv("DISPLAY")
	}
	dp, problem := openDisplay(name)
	if dp == nil {
		return nil, problem
	}
	defer C.onair_x_close(dp)
	n := int(C.XScreenCount(dp))
	for i := 0; i < n; i++ {
		var info C.onair_x_screen
		C.onair_x_screen_info(dp, C.int(i), &info)
		devs = append(devs, Device{
			Kind:    KindScreen,
			ID:      fmt.Sprintf(":%d", i),
			Name:    fmt.Sprintf("screen %d of X11 display %s", i, name),
			Default: i == 0,
			Detail:  fmt.Sprintf("%dx%d", int(info.width), int(info.height)),
		})
	}
	return devs, ""
}
