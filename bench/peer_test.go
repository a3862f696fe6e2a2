package bench

import (
	"sort"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/engine"
	"github.com/neijiang/xiaowei/internal/rules"
)

// TestPeerOverrideLeavesThePeerRules: the shipped rules with
// bench/peer-equal-work.yaml run exactly the rules the eight SQL peer
// checks implement, so the equal-work comparison of bench/run.sh compares
// the same checks. A rule added to rules/ later must be disabled there too.
func TestPeerOverrideLeavesThePeerRules(t *testing.T) {
	set, err := rules.LoadDirs([]string{"../rules", "peer-equal-work.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	plan, errs := engine.Compile(set, nil, engine.Geography{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var on []string
	for _, c := range plan.Rules {
		if c.Runs() {
			on = append(on, c.Rule.ID)
		}
	}
	sort.Strings(on)
	want := "CASH-LARGE CASH-OVER-LIMIT CASH-UNBANKED DIS-LATE DIS-MISSING DQ-BAD-ID REL-ACCOUNT REL-DECEASED REL-KIN REL-SELF"
	if got := strings.Join(on, " "); got != want {
		t.Errorf("rules that run: %s\nwant (the peer checks): %s", got, want)
	}
}
