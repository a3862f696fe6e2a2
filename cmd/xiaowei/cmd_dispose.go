package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/leads"
	"github.com/neijiang/xiaowei/internal/report"
	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "dispose", summary: "record an inspector's disposition of a finding or lead (confirmed, false_positive, suppressed)", run: cmdDispose})
}

// cmdDispose is flag wiring for two modes (record a decision, print the
// history) against two stores (file, database); most of its length is the
// flags and their checks, read top to bottom as the usage line says.
func cmdDispose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var file, data, runDir, finding, lead, status, until, reason, by string
	var history bool
	var dbURL, schema string
	fs := newFlags("dispose", "(--file F | --data DIR | --db URL) (--finding ID | --lead ID [--run OUT]) --status confirmed|false_positive|suppressed [--until DATE] --reason TEXT --by NAME\n       xiaowei dispose (--file F | --data DIR | --db URL) --history [--finding ID | --lead ID]", stdout)
	fs.StringVar(&file, "file", "", "dispositions file (append-only JSON lines); the same as run's --dispositions")
	fs.StringVar(&data, "data", "", "dataset folder: the file is DATA/dispositions.jsonl (run's default)")
	fs.StringVar(&runDir, "run", "", "a run's output folder: needed for --lead (the lead's findings are read from OUT/leads.jsonl); checks --finding exists")
	fs.StringVar(&finding, "finding", "", "finding_id")
	fs.StringVar(&lead, "lead", "", "lead_id (all the findings it holds in --run)")
	fs.StringVar(&status, "status", "", "confirmed, false_positive or suppressed")
	fs.StringVar(&until, "until", "", "suppressed: last day of the suppression (YYYY-MM-DD, compared with each run's as_of)")
	fs.StringVar(&reason, "reason", "", "why (shown in the report)")
	fs.StringVar(&by, "by", "", "who decided")
	fs.StringVar(&dbURL, "db", "", "PostgreSQL URL: record in the database (dispositions, disposition_events) instead of a file")
	fs.StringVar(&schema, "schema", store.DefaultSchema, "with --db: service schema")
	fs.BoolVar(&history, "history", false, "print the trail of decisions (of one id, or all) instead of recording one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if file == "" && data != "" {
		file = filepath.Join(data, "dispositions.jsonl")
	}
	if (file == "") == (dbURL == "") {
		return badInput(errors.New("one of --file, --data or --db is required"))
	}
	var st *store.Store
	if dbURL != "" {
		var err error
		if st, err = store.Open(ctx, dbURL, schema); err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Migrate(ctx); err != nil {
			return err
		}
	}
	if history {
		return showHistory(ctx, st, file, finding, lead, stdout)
	}
	e := dispose.Event{At: dispose.Now(), FindingID: finding, LeadID: lead, Status: status, Until: until, Reason: reason, By: by}
	if err := resolveTarget(ctx, st, runDir, &e); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return badInput(err)
	}
	if st != nil {
		if err := addDispositionDB(ctx, st, e); err != nil {
			return err
		}
		file = "the database (" + schema + ".disposition_events)"
	} else if err := dispose.Append(file, e); err != nil {
		return err
	}
	what := "finding " + finding
	if lead != "" {
		what = fmt.Sprintf("lead %s (%d findings)", lead, len(e.FindingIDs))
	}
	fmt.Fprintf(stdout, "%s: %s %s by %s, recorded in %s\n", e.At, what, status, by, file)
	return nil
}

// showHistory prints the trail of decisions (of one finding or lead, or
// all) from the database when st is set, else from the file.
func showHistory(ctx context.Context, st *store.Store, file, finding, lead string, stdout io.Writer) error {
	var evs []dispose.Event
	var err error
	if st != nil {
		evs, err = report.DispositionsDB(ctx, st)
	} else {
		evs, err = dispose.ReadFile(file)
	}
	if err != nil {
		return err
	}
	printHistory(stdout, evs, finding, lead)
	return nil
}

// resolveTarget checks what e decides on: a lead's findings are read from
// the run's leads.jsonl (or the database) into e.FindingIDs; a finding is
// checked to exist when a run is given.
func resolveTarget(ctx context.Context, st *store.Store, runDir string, e *dispose.Event) error {
	if e.LeadID != "" {
		var l *leads.Lead
		var err error
		switch {
		case runDir != "":
			l, err = findLead(runDir, e.LeadID)
		case st != nil:
			l, err = report.LeadDB(ctx, st, e.LeadID)
		default:
			return badInput(errors.New("--lead needs --run OUT (or --db): the decision covers the findings the lead holds there"))
		}
		if err != nil {
			return badInput(err)
		}
		e.FindingIDs = l.FindingIDs
	} else if runDir != "" && e.FindingID != "" {
		if err := findFinding(runDir, e.FindingID); err != nil {
			return badInput(err)
		}
	}
	return nil
}

// addDispositionDB records e in the database (dispositions,
// disposition_events).
func addDispositionDB(ctx context.Context, st *store.Store, e dispose.Event) error {
	id, kind := e.FindingID, "finding"
	if e.LeadID != "" {
		id, kind = e.LeadID, "lead"
	}
	at, _ := time.Parse(time.RFC3339, e.At)
	return st.AddDisposition(ctx, store.Disposition{ID: id, Kind: kind, FindingIDs: e.FindingIDs, Status: e.Status, Until: e.Until,
		Reason: e.Reason, DecidedBy: e.By, DecidedAt: at})
}

func findLead(runDir, id string) (*leads.Lead, error) {
	f, err := os.Open(filepath.Join(runDir, "leads.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ls, err := leads.ReadJSONL(f)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if l.LeadID == id {
			return l, nil
		}
	}
	return nil, fmt.Errorf("no lead %s in %s/leads.jsonl", id, runDir)
}

func findFinding(runDir, id string) error {
	f, err := os.Open(filepath.Join(runDir, "findings.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	fs, err := findings.ReadJSONL(f)
	if err != nil {
		return err
	}
	for _, x := range fs {
		if x.FindingID == id {
			return nil
		}
	}
	return fmt.Errorf("no finding %s in %s/findings.jsonl", id, runDir)
}

func printHistory(w io.Writer, evs []dispose.Event, finding, lead string) {
	for _, e := range evs {
		match := finding == "" && lead == ""
		if finding != "" {
			match = match || e.FindingID == finding
			for _, id := range e.FindingIDs {
				match = match || id == finding
			}
		}
		if lead != "" {
			match = match || e.LeadID == lead
		}
		if !match {
			continue
		}
		id := "finding " + e.FindingID
		if e.LeadID != "" {
			id = fmt.Sprintf("lead %s (%d findings)", e.LeadID, len(e.FindingIDs))
		}
		fmt.Fprintf(w, "%s  %-15s %s  by %s", e.At, e.Status, id, e.By)
		if e.Until != "" {
			fmt.Fprintf(w, " until %s", e.Until)
		}
		fmt.Fprintf(w, ": %s\n", e.Reason)
	}
}
