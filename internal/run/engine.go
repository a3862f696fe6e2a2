package run

import (
	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
)

func engineCheck(set *rules.Set) rules.Errors { return engine.Check(set) }

func engineDetectors() []string {
	var out []string
	for _, d := range engine.Detectors() {
		out = append(out, d.Name())
	}
	return out
}
