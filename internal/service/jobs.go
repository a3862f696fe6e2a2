package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/store"
)

// job is the nightly run or one campaign.
type job struct {
	name     string // "nightly" or "campaign:<name>"
	sched    cron.Schedule
	campaign *Campaign
	catchUp  int
}

// Attempt is one firing of a job in this instance, whatever came of it.
type Attempt struct {
	Job          string    `json:"job"`
	ScheduledFor time.Time `json:"scheduled_for"`
	RunID        string    `json:"run_id,omitempty"`
	Outcome      string    `json:"outcome"` // completed, failed, canceled, locked, already_done
	// Stored says the run is in the database (outcome completed); a
	// cancelled or failed attempt stored nothing.
	Stored   bool      `json:"stored"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Findings int       `json:"findings"`
	New      int       `json:"new"`
	Resolved int       `json:"resolved"`
	Reopened int       `json:"reopened"`
}

// catchUp runs, for each job that has run before (or is a one-off whose
// time has passed), the slots missed since its last completed run, at most
// catch_up_limit of them (the most recent).
func (s *Service) catchUp(ctx context.Context) {
	now := time.Now().In(civil.Shanghai)
	for _, j := range s.jobs {
		if j.catchUp < 0 {
			continue
		}
		last, err := s.st.LastSlot(ctx, j.name)
		if err != nil {
			s.log.Error("catch-up: reading the last run", "job", j.name, "err", err)
			continue
		}
		if last.IsZero() {
			if _, once := j.sched.(onceSchedule); !once {
				continue // never ran: nothing was missed
			}
			last = time.Time{}
		}
		var slots []time.Time
		t := last.In(civil.Shanghai)
		for i := 0; i < 100000; i++ {
			t = j.sched.Next(t)
			if t.IsZero() || t.After(now) {
				break
			}
			slots = append(slots, t)
		}
		if len(slots) > j.catchUp {
			s.log.Warn("catch-up bounded", "job", j.name, "missed", len(slots), "limit", j.catchUp)
			slots = slots[len(slots)-j.catchUp:]
		}
		for _, slot := range slots {
			if ctx.Err() != nil {
				return
			}
			s.log.Info("catching up a missed run", "job", j.name, "slot", slot.Format(time.RFC3339))
			s.execute(ctx, j, slot)
		}
	}
}

// fire is the cron entry point: the slot is the latest scheduled time not
// after now (cron fires at or just after it).
func (s *Service) fire(ctx context.Context, j *job) {
	now := time.Now().In(civil.Shanghai)
	slot := now.Truncate(time.Second)
	t := j.sched.Next(now.Add(-26 * time.Hour))
	for i := 0; !t.IsZero() && !t.After(now) && i < 200000; i++ {
		slot = t
		t = j.sched.Next(t)
	}
	s.execute(ctx, j, slot)
}

// execute runs one job for one slot under the job's advisory lock, taken
// and released on one pinned connection, so two instances never run the
// same job at once; a slot already completed is not run again.
func (s *Service) execute(ctx context.Context, j *job, slot time.Time) Attempt {
	a := Attempt{Job: j.name, ScheduledFor: slot, Started: time.Now()}
	log := s.log.With("job", j.name, "slot", slot.Format(time.RFC3339))
	defer func() {
		a.Seconds = time.Since(a.Started).Seconds()
		s.record(a)
		log.Info("job finished", "outcome", a.Outcome, "stored", a.Stored, "run_id", a.RunID, "seconds", a.Seconds, "findings", a.Findings,
			"new", a.New, "resolved", a.Resolved, "reopened", a.Reopened, "err", a.Error)
	}()
	release, got, err := s.st.TryJobLock(ctx, j.name)
	if err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		return a
	}
	if !got {
		a.Outcome = "locked"
		return a
	}
	defer release()
	if done, err := s.st.SlotDone(ctx, j.name, slot); err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		return a
	} else if done {
		a.Outcome = "already_done"
		return a
	}
	log.Info("job started")
	s.metrics.setRunning(j.name, true)
	defer s.metrics.setRunning(j.name, false)
	rec, out, err := s.runJob(ctx, j, slot, &a)
	if err != nil {
		a.Outcome, a.Error = outcomeOf(ctx, err), err.Error()
		if errors.Is(err, store.ErrDuplicateSlot) {
			a.Outcome = "already_done"
			return a
		}
		// A failure or SIGTERM that lands around the commit must not
		// report a stored run as cancelled: ask the database.
		if a.RunID != "" {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			stored, serr := s.st.RunStored(sctx, a.RunID)
			cancel()
			switch {
			case serr != nil:
				a.Error += fmt.Sprintf(" (whether run %s was stored is unknown: %v)", a.RunID, serr)
			case stored:
				a.Outcome, a.Stored = "completed", true
				a.Error = "stored; a later step failed: " + a.Error
			}
		}
		return a
	}
	a.Outcome, a.Stored = "completed", true
	a.Findings, a.New, a.Resolved, a.Reopened = rec.Findings, rec.New, rec.Resolved, rec.Reopened
	s.metrics.completed(j.name, out, rec)
	s.retain(ctx)
	return a
}

func outcomeOf(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "failed"
}

// scopeFor is the run scope of a job at a slot: as_of is the day before
// the slot (the last complete day); a campaign's window is cut at as_of.
func scopeFor(j *job, slot time.Time) run.Scope {
	sc := run.Scope{AsOf: civil.FromTime(slot.In(civil.Shanghai)) - 1}
	if cp := j.campaign; cp != nil {
		sc.Towns, sc.Villages = cp.Towns, cp.Villages
		if cp.to != 0 && cp.to < sc.AsOf {
			sc.AsOf = cp.to
		}
		sc.From, sc.To = cp.from, cp.to
		if sc.To != 0 && sc.To > sc.AsOf {
			sc.To = sc.AsOf
		}
		if sc.From != 0 && sc.From > sc.AsOf {
			sc.From = sc.AsOf
		}
	}
	return sc
}

func (s *Service) runJob(ctx context.Context, j *job, slot time.Time, a *Attempt) (*store.Recorded, *run.Outcome, error) {
	a.RunID = store.NewRunID(time.Now())
	meta := store.RunMeta{RunID: a.RunID, Job: j.name, ScheduledFor: slot, StartedAt: time.Now(), Version: s.version}
	ruleDirs := s.cfg.RuleDirs()
	if j.campaign != nil {
		meta.Campaign = j.campaign.Name
		if len(j.campaign.Rules) > 0 {
			ruleDirs = j.campaign.Rules
		}
	}
	var rec *store.Recorded
	o := run.Options{
		OutDir:   filepath.Join(s.cfg.OutDir, strings.ReplaceAll(j.name, ":", "-"), a.RunID),
		RuleDirs: ruleDirs, Scope: scopeFor(j, slot), Workers: s.cfg.Workers, Version: s.version,
		Campaign: meta.Campaign, SkipBadRules: false,
		Source: func(ctx context.Context) (*load.Dataset, error) { return s.st.ReadDataset(ctx, nil) },
		Record: []run.Step{{Name: "record", Fn: func(ctx context.Context, o *run.Options, out *run.Outcome) error {
			var err error
			var extra []store.TxWriter
			if s.InTx != nil {
				extra = s.InTx(s.st, out)
			}
			rec, err = s.st.Record(ctx, meta, o, out, extra...)
			return err
		}}},
	}
	if s.Prepare != nil {
		if err := s.Prepare(ctx, s.st, &o); err != nil {
			return nil, nil, fmt.Errorf("prepare: %w", err)
		}
	}
	out, err := run.Run(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if out.Dataset != nil {
		out.Dataset.Release()
	}
	return rec, out, nil
}

func (s *Service) record(a Attempt) {
	s.metrics.attempt(a)
	s.mu.Lock()
	s.attempts = append(s.attempts, a)
	if len(s.attempts) > 100 {
		s.attempts = s.attempts[len(s.attempts)-100:]
	}
	s.mu.Unlock()
}

// Attempts returns this instance's recent attempts, newest last.
func (s *Service) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}
