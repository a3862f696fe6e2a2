// Package dispose records inspectors' dispositions of findings and leads
// and applies them to later runs.
//
// A disposition is an event: who decided what about which finding (or
// lead), when and why. Events are only ever appended (an audit trail); the
// current disposition of a finding is the last event that concerns it.
// Statuses:
//
//   - confirmed: the finding is real; its lead goes to the top of the list
//     for as long as the finding keeps firing
//   - false_positive: not an irregularity; the finding is still recorded
//     (marked) but leaves the leads
//   - suppressed: left out of the leads until a date (inclusive, compared
//     with the run's as_of), e.g. while the town is already handling it;
//     after that day the finding counts again
//
// A later event replaces the earlier one as the current state (to undo a
// false positive, record the finding as confirmed or suppress it until a
// past date); the earlier one stays in the trail.
// A lead event names the lead and the findings it held when the decision
// was made: those findings take the status; a finding that appears later
// under the same person is not covered and brings the lead back.
package dispose

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/findings"
)

// Statuses.
const (
	Confirmed     = "confirmed"
	FalsePositive = "false_positive"
	Suppressed    = "suppressed"
)

// Statuses lists the valid statuses.
var Statuses = []string{Confirmed, FalsePositive, Suppressed}

// Labels are the statuses in Chinese, for inspectors.
var Labels = map[string]string{Confirmed: "已核实", FalsePositive: "误报", Suppressed: "暂缓"}

// Event is one decision. Exactly one of FindingID and LeadID is set.
type Event struct {
	At         string   `json:"at"` // RFC 3339, Asia/Shanghai
	FindingID  string   `json:"finding_id,omitempty"`
	LeadID     string   `json:"lead_id,omitempty"`
	FindingIDs []string `json:"finding_ids,omitempty"` // a lead's findings when decided
	Status     string   `json:"status"`
	Until      string   `json:"until,omitempty"` // suppressed: last day, YYYY-MM-DD
	Reason     string   `json:"reason"`
	By         string   `json:"by"`
}

// Validate checks an event before it is recorded.
func (e *Event) Validate() error {
	var errs []error
	if (e.FindingID == "") == (e.LeadID == "") {
		errs = append(errs, errors.New("name exactly one finding or one lead"))
	}
	if e.LeadID != "" && len(e.FindingIDs) == 0 {
		errs = append(errs, errors.New("a lead disposition lists the lead's findings"))
	}
	ok := false
	for _, s := range Statuses {
		ok = ok || s == e.Status
	}
	if !ok {
		errs = append(errs, fmt.Errorf("status %q: want one of confirmed, false_positive, suppressed", e.Status))
	}
	switch {
	case e.Status == Suppressed && e.Until == "":
		errs = append(errs, errors.New("suppressed needs --until DATE"))
	case e.Status != Suppressed && e.Until != "":
		errs = append(errs, errors.New("--until applies only to suppressed"))
	case e.Until != "":
		if _, err := civil.Parse(e.Until); err != nil {
			errs = append(errs, fmt.Errorf("until: %w", err))
		}
	}
	if e.Reason == "" {
		errs = append(errs, errors.New("a reason is required"))
	}
	if e.By == "" {
		errs = append(errs, errors.New("who decided (--by) is required"))
	}
	if e.At == "" {
		errs = append(errs, errors.New("time (at) is required"))
	} else if _, err := time.Parse(time.RFC3339, e.At); err != nil {
		errs = append(errs, fmt.Errorf("at: %w", err))
	}
	return errors.Join(errs...)
}

// Now is the current time as an event's At.
func Now() string { return time.Now().In(civil.Shanghai).Format(time.RFC3339) }

// Append validates e and appends it to the file at path (created if
// absent) as one JSON line, synced before returning. Existing lines are
// never rewritten.
func Append(path string, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	// One write of one line: O_APPEND keeps concurrent appenders from
	// interleaving within it.
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadFile reads every event; a missing file has none. A bad line is an
// error naming the line: the trail must be read whole or not at all.
func ReadFile(path string) ([]Event, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ev, err := Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ev, nil
}

// Read reads events, one JSON object a line; blank lines are skipped.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		t := bytes.TrimSpace(sc.Bytes())
		if len(t) == 0 {
			continue
		}
		var e Event
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// State is the current disposition of one finding or lead.
type State struct {
	Status string `json:"status"`
	Until  string `json:"until,omitempty"`
	Reason string `json:"reason"`
	By     string `json:"by"`
	At     string `json:"at"`
	LeadID string `json:"lead_id,omitempty"` // decided on the lead
	// Active is false for an expired suppression.
	Active bool `json:"active"`
	// History counts the events that concerned it (the trail).
	History int `json:"history"`
}

// Current folds events, in order, into the state per finding id and per
// lead id.
func Current(events []Event) (byFinding, byLead map[string]State) {
	byFinding, byLead = map[string]State{}, map[string]State{}
	for _, e := range events {
		st := State{Status: e.Status, Until: e.Until, Reason: e.Reason, By: e.By, At: e.At, LeadID: e.LeadID}
		ids := e.FindingIDs
		if e.FindingID != "" {
			ids = []string{e.FindingID}
		}
		for _, id := range ids {
			st.History = byFinding[id].History + 1
			byFinding[id] = st
		}
		if e.LeadID != "" {
			st.History = byLead[e.LeadID].History + 1
			byLead[e.LeadID] = st
		}
	}
	return byFinding, byLead
}

// active says whether a state applies on asOf.
func active(st State, asOf civil.Date) bool {
	switch st.Status {
	case Confirmed, FalsePositive:
		return true
	case Suppressed:
		until, err := civil.Parse(st.Until)
		return err == nil && asOf <= until
	}
	return false
}

// Applied is what a run did with the dispositions: the state of every
// finding that has one and is in the run, written to OUT/dispositions.json.
type Applied struct {
	AsOf     string           `json:"as_of"`
	Source   string           `json:"source"`
	Events   int              `json:"events"`
	Findings map[string]State `json:"findings"`
	Leads    map[string]State `json:"leads"`
}

// Apply marks each finding with its active disposition (Finding.Disposition)
// and returns what applied. States of findings not in the run are left
// out; lead states are kept whole (the leads step needs confirmed leads).
func Apply(fs []*findings.Finding, events []Event, asOf civil.Date, source string) *Applied {
	byF, byL := Current(events)
	a := &Applied{AsOf: asOf.String(), Source: source, Events: len(events), Findings: map[string]State{}, Leads: map[string]State{}}
	for _, f := range fs {
		f.Disposition = ""
		st, ok := byF[f.FindingID]
		if !ok {
			continue
		}
		st.Active = active(st, asOf)
		if st.Active {
			f.Disposition = st.Status
		}
		a.Findings[f.FindingID] = st
	}
	for id, st := range byL {
		st.Active = active(st, asOf)
		a.Leads[id] = st
	}
	return a
}

// Excluded says whether a finding stays out of the leads.
func Excluded(f *findings.Finding) bool {
	return f.Disposition == FalsePositive || f.Disposition == Suppressed
}

// ConfirmedLead says whether a lead was confirmed as a whole.
func (a *Applied) ConfirmedLead(leadID string) bool {
	if a == nil {
		return false
	}
	st, ok := a.Leads[leadID]
	return ok && st.Active && st.Status == Confirmed
}

// JSON encodes the applied dispositions deterministically.
func (a *Applied) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SortedIDs returns map keys in order (for display).
func SortedIDs(m map[string]State) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
