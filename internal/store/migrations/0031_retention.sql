-- Retention (issue #17) asks, per run, whether anything points at it:
-- these indexes keep those questions off sequential scans.
create index if not exists findings_first_run on {{schema}}.findings (first_run_id);
create index if not exists findings_last_run on {{schema}}.findings (last_run_id);
create index if not exists findings_resolved_run on {{schema}}.findings (resolved_run_id) where resolved_run_id is not null;
create index if not exists finding_events_run on {{schema}}.finding_events (run_id);
create index if not exists leads_run on {{schema}}.leads (run_id);
