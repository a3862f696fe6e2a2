// Package findings is the findings output of contract.md: the Finding
// record, its stable identity, deterministic order and JSON Lines encoding.
package findings

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/neijiang/xiaowei/internal/money"
)

// Finding is one rule firing on one subject and period. The first ten
// fields are the contract's; the rest are xiaowei's additions.
type Finding struct {
	FindingID string         `json:"finding_id"`
	RuleID    string         `json:"rule_id"`
	Family    string         `json:"family"`
	Severity  Severity       `json:"severity"`
	VillageID string         `json:"village_id"`
	Subject   string         `json:"subject"`
	Period    string         `json:"period"`
	Amount    *Amount        `json:"amount"`
	Message   string         `json:"message"`
	Evidence  map[string]any `json:"evidence"`

	Title       string `json:"title"`
	TownID      string `json:"town_id,omitempty"`
	Responsible string `json:"responsible,omitempty"` // person_id the lead is about, where the rule names one
	RuleHash    string `json:"rule_version"`
	// Disposition is set when an inspector's disposition applies (leads issue).
	Disposition string `json:"disposition,omitempty"`

	// Order is the row of the view that produced the finding; it breaks
	// ties deterministically when two rows give the same finding_id.
	Order int `json:"-"`
}

// Amount is money in fen that encodes as a JSON number with two decimals.
type Amount struct{ Fen int64 }

// MarshalJSON writes e.g. 168000.00, exactly.
func (a Amount) MarshalJSON() ([]byte, error) { return money.Append(nil, a.Fen), nil }

// UnmarshalJSON reads a JSON number or string with at most two decimals.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	f, err := money.Parse(s)
	if err != nil {
		return err
	}
	a.Fen = f
	return nil
}

// ID is the stable identity of a finding: the same rule on the same subject
// and period gives the same id in every run (hex of sha256, 128 bits).
func ID(ruleID, subject, period string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write([]byte(period))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Less is the output order: village, rule, subject, period.
func Less(a, b *Finding) bool {
	if a.VillageID != b.VillageID {
		return a.VillageID < b.VillageID
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	if a.Subject != b.Subject {
		return a.Subject < b.Subject
	}
	if a.Period != b.Period {
		return a.Period < b.Period
	}
	return a.Order < b.Order
}

// Sort orders findings deterministically.
func Sort(fs []*Finding) { sort.SliceStable(fs, func(i, j int) bool { return Less(fs[i], fs[j]) }) }

// Merge folds findings that share an id (one subject reached through
// several rows, e.g. a beneficiary related to two cadres) into the first,
// keeping the others' evidence under "also" and the highest severity.
// Input must be sorted; output keeps the order.
func Merge(fs []*Finding) []*Finding {
	out := fs[:0]
	byID := make(map[string]*Finding, len(fs))
	for _, f := range fs {
		first, dup := byID[f.FindingID]
		if !dup {
			byID[f.FindingID] = f
			out = append(out, f)
			continue
		}
		if f.Severity.Rank() > first.Severity.Rank() {
			first.Severity = f.Severity
		}
		if f.Amount != nil && (first.Amount == nil || f.Amount.Fen > first.Amount.Fen) {
			first.Amount = f.Amount
		}
		also, _ := first.Evidence["also"].([]any)
		if len(also) < 20 {
			ev := f.Evidence
			delete(ev, "params")
			first.Evidence["also"] = append(also, ev)
		}
	}
	return out
}

// WriteJSONL writes one finding per line. encoding/json sorts map keys, so
// the same findings always give the same bytes.
func WriteJSONL(w io.Writer, fs []*Finding) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, f := range fs {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadJSONL reads findings written by WriteJSONL.
func ReadJSONL(r io.Reader) ([]*Finding, error) {
	var out []*Finding
	dec := json.NewDecoder(r)
	dec.UseNumber()
	for dec.More() {
		f := &Finding{}
		if err := dec.Decode(f); err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}

// String formats the amount in yuan.
func (a *Amount) String() string {
	if a == nil {
		return ""
	}
	return money.Format(a.Fen)
}

// Detach copies every string of the finding (and of its evidence) into
// memory of its own. Strings read from Arrow columns point into the
// column's data buffer, so a finding kept after its tables are released
// would keep the whole buffer alive: a partitioned run keeps findings of
// ~180 counties and must not keep ~180 counties of column buffers.
func (f *Finding) Detach() {
	for _, s := range []*string{&f.FindingID, &f.RuleID, &f.Family, &f.VillageID, &f.Subject, &f.Period,
		&f.Message, &f.Title, &f.TownID, &f.Responsible, &f.RuleHash, &f.Disposition} {
		*s = strings.Clone(*s)
	}
	f.Severity = Severity(strings.Clone(string(f.Severity)))
	if f.Evidence != nil {
		f.Evidence = detachValue(f.Evidence).(map[string]any)
	}
}

func detachValue(v any) any {
	switch x := v.(type) {
	case string:
		return strings.Clone(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.Clone(k)] = detachValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = detachValue(e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = strings.Clone(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i] = detachValue(e).(map[string]any)
		}
		return out
	}
	return v
}
