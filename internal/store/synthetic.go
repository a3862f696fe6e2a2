package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// GenerateWorkbench fills an empty store with a synthetic district for the
// workbench benchmark: towns × 30 villages, one run, nFindings open
// findings and nLeads leads (each holding nFindings/nLeads findings) with a
// spread of statuses, scores, amounts and ages. It writes with set-based
// SQL (generate_series), so a million findings take seconds, not a Go
// loop of inserts. Town ids are 5110021NN (NN = 01…towns).
func (s *Store) GenerateWorkbench(ctx context.Context, towns, nLeads, nFindings int) error {
	if towns < 1 || nLeads < 1 || nFindings < nLeads {
		return fmt.Errorf("want towns ≥ 1, leads ≥ 1 and findings ≥ leads")
	}
	per := nFindings / nLeads
	steps := []string{
		`insert into ` + s.D("villages") + ` (_row, village_id, village_name, town_id, town_name, county_id, county_name)
			select v, '5110021' || lpad(t::text, 2, '0') || lpad(v::text, 3, '0'), '第' || v || '村', '5110021' || lpad(t::text, 2, '0'),
				'第' || t || '镇', '511002', '市中区'
			from generate_series(1, $1::int) t, generate_series(1, 30) v`,
		`insert into ` + s.T("runs") + ` (run_id, job, as_of, villages_covered, started_at, findings, new_findings, reopened, resolved, rows_rejected)
			values ('bench-run', 'nightly', '2025-06-30', 30 * $1::int, now(), $2::int, $2::int, 0, 0, 0)`,
		// Lead i (0-based) sits in town i % towns + 1 and village (i / towns) % 30 + 1; its findings are i*per … i*per+per-1.
		`insert into ` + s.T("findings") + ` (finding_id, rule_id, family, severity, village_id, town_id, subject, period, amount, title, message,
				responsible, evidence, first_seen, last_seen, first_run_id, last_run_id, times_seen, status)
			select 'F' || f, (array['CASH-LARGE','CASH-OVER-LIMIT','DISC-LATE','REL-KIN'])[f % 4 + 1],
				(array['cash','cash','disclosure','relative'])[f % 4 + 1], (array['low','medium','high','critical'])[f % 4 + 1],
				'5110021' || lpad((l % $1 + 1)::text, 2, '0') || lpad(((l / $1) % 30 + 1)::text, 3, '0'),
				'5110021' || lpad((l % $1 + 1)::text, 2, '0'), 'entry:E' || f, '2025-0' || (f % 6 + 1), (f % 9000 + 1000)::numeric(14,2),
				'合成问题', '合成问题 ' || f, 'P' || l, jsonb_build_object('entry_id', 'E' || f, 'amount', f % 9000 + 1000),
				now() - (l % 365) * interval '1 day', now(), 'bench-run', 'bench-run', 1, 'open'
			from (select f, f / $3::int as l from generate_series(0, $2::int - 1) f) x`,
		`insert into ` + s.T("finding_events") + ` (finding_id, run_id, event) select 'F' || f, 'bench-run', 'opened' from generate_series(0, $2::int - 1) f`,
		`insert into ` + s.T("work_leads") + ` (lead_id, source, kind, town_id, town_name, village_id, village_name, person_id, person_name,
				severity, score, amount, families, rules, finding_ids, payload, first_seen, last_seen, first_run_id, last_run_id, times_seen,
				status, assignee, due_on)
			select 'L' || lpad(l::text, 7, '0'), 'run', 'person', '5110021' || lpad((l % $1 + 1)::text, 2, '0'), '第' || (l % $1 + 1) || '镇',
				'5110021' || lpad((l % $1 + 1)::text, 2, '0') || lpad(((l / $1) % 30 + 1)::text, 3, '0'), '第' || ((l / $1) % 30 + 1) || '村',
				'P' || l, '张' || chr(19968 + l % 20000) || '明', (array['low','medium','high','critical'])[l % 4 + 1],
				((l * 7919) % 10000) / 100.0, ((l * 31) % 500000 + 100)::numeric(14,2),
				array[(array['cash','disclosure','relative'])[l % 3 + 1]], array['CASH-LARGE','DISC-LATE'],
				array(select 'F' || (l * $3::int + j) from generate_series(0, $3::int - 1) j),
				jsonb_build_object('lead_id', 'L' || lpad(l::text, 7, '0'), 'kind', 'person', 'verify', jsonb_build_array('核实凭证与经办情况')),
				now() - (l % 365) * interval '1 day', now(), 'bench-run', 'bench-run', 1,
				(array['pending','assigned','verifying','closed'])[(l / $1) % 4 + 1], case when (l / $1) % 4 > 0 then 'town' || lpad((l % $1 + 1)::text, 2, '0') end,
				current_date + (l % 60 - 20)
			from generate_series(0, $4::int - 1) l`,
	}
	// The sizes are integers: written into the statements, not passed as
	// parameters, because each statement uses a different subset of them.
	r := strings.NewReplacer("$1", strconv.Itoa(towns), "$2", strconv.Itoa(nFindings), "$3", strconv.Itoa(per), "$4", strconv.Itoa(nLeads))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, q := range steps {
			if _, err := tx.Exec(ctx, r.Replace(q)); err != nil {
				return fmt.Errorf("generate step %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// What autovacuum would do soon after a large load: statistics for the
	// planner, and the visibility map that lets counts use index-only scans.
	for _, t := range []string{"work_leads", "findings", "finding_events"} {
		if _, err := s.pool.Exec(ctx, "vacuum analyze "+s.T(t)); err != nil {
			return err
		}
	}
	return nil
}

// DropSchemas removes the store's two schemas and everything in them (the
// benchmark's scratch store).
func (s *Store) DropSchemas(ctx context.Context) error {
	for _, sch := range []string{s.Schema, s.Data} {
		if _, err := s.pool.Exec(ctx, "drop schema if exists "+pgx.Identifier{sch}.Sanitize()+" cascade"); err != nil {
			return err
		}
	}
	return nil
}
