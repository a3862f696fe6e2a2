//go:build !unix

package disclosure

import "time"

func cpuTime() time.Duration { return 0 }
