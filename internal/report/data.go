// Package report turns a run's outputs into what inspectors read: one
// self-contained HTML file in Chinese (inline CSS, script and SVG charts;
// a strict Content-Security-Policy so the page can make no request), and
// CSV/XLSX exports of leads and findings. Personal data is masked unless
// the caller is authorised to see it (see internal/mask).
package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/neijiang/xiaowei/internal/campaign"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/run"
)

// Reject is one row of rejected.csv.
type Reject struct {
	Table, File string
	Line        int
	Column      string
	Value       string
	Reason      string
}

// TrendPoint is one earlier (or this) run, for the trend chart (database
// mode).
type TrendPoint struct {
	RunID    string
	AsOf     string
	Findings int
	New      int
	Resolved int
}

// Data is everything a report shows.
type Data struct {
	RunDir       string
	RunID        string
	Summary      *run.Summary
	Manifest     *run.Manifest
	Findings     []*findings.Finding
	Leads        []*leads.Lead
	Places       map[string]leads.Place
	Dispositions *dispose.Applied
	Campaign     *campaign.Campaign
	Rejects      []Reject
	Trend        []TrendPoint // nil in file mode
	// Names are the persons register's names, masked wherever they appear
	// in free text (names.json, or the store's persons table).
	Names []string
}

// LoadRun reads a run's output folder. findings.jsonl and summary.json are
// required; the rest (leads, dispositions, places, campaign, rejects) are
// read when present.
func LoadRun(dir string) (*Data, error) {
	d := &Data{RunDir: dir, Places: map[string]leads.Place{}}
	f, err := os.Open(filepath.Join(dir, "findings.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("not a run folder: %w", err)
	}
	d.Findings, err = findings.ReadJSONL(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("findings.jsonl: %w", err)
	}
	d.Summary = &run.Summary{}
	if err := readJSON(filepath.Join(dir, "summary.json"), d.Summary, true); err != nil {
		return nil, err
	}
	d.Manifest = &run.Manifest{}
	if err := readJSON(filepath.Join(dir, "manifest.json"), d.Manifest, false); err != nil {
		return nil, err
	}
	if f, err := os.Open(filepath.Join(dir, "leads.jsonl")); err == nil {
		d.Leads, err = leads.ReadJSONL(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("leads.jsonl: %w", err)
		}
	}
	var places []leads.Place
	if err := readJSON(filepath.Join(dir, "places.json"), &places, false); err != nil {
		return nil, err
	}
	for _, p := range places {
		d.Places[p.VillageID] = p
	}
	for _, l := range d.Leads { // places of leads, if places.json is absent
		if _, ok := d.Places[l.VillageID]; !ok && l.VillageName != "" {
			d.Places[l.VillageID] = leads.Place{VillageID: l.VillageID, VillageName: l.VillageName, TownID: l.TownID, TownName: l.TownName}
		}
	}
	disp := &dispose.Applied{}
	if err := readJSON(filepath.Join(dir, "dispositions.json"), disp, false); err != nil {
		return nil, err
	}
	if disp.Findings != nil {
		d.Dispositions = disp
	}
	camp := &campaign.Campaign{}
	if err := readJSON(filepath.Join(dir, "campaign.json"), camp, false); err != nil {
		return nil, err
	}
	if camp.Name != "" {
		d.Campaign = camp
	}
	if err := readJSON(filepath.Join(dir, "names.json"), &d.Names, false); err != nil {
		return nil, err
	}
	if f, err := os.Open(filepath.Join(dir, "rejected.csv")); err == nil {
		d.Rejects, err = readRejects(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("rejected.csv: %w", err)
		}
	}
	return d, nil
}

func readJSON(path string, v any, required bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func readRejects(r io.Reader) ([]Reject, error) {
	cr := csv.NewReader(r)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []Reject
	for i, row := range rows {
		if i == 0 || len(row) < 6 {
			continue
		}
		line, _ := strconv.Atoi(row[2])
		out = append(out, Reject{Table: row[0], File: row[1], Line: line, Column: row[3], Value: row[4], Reason: row[5]})
	}
	return out, nil
}
