-- Runs and the history of every finding.
create table {{schema}}.runs (
	run_id text primary key,
	job text not null,                      -- nightly, campaign:<name>, manual
	campaign text,
	scheduled_for timestamptz,              -- the cron slot a scheduled run is for
	as_of date not null,
	window_from date,
	window_to date,
	scope_towns text[] not null default '{}',
	scope_villages text[] not null default '{}',
	rules text[] not null default '{}',     -- rules that ran (resolution scope)
	villages_covered integer not null,
	started_at timestamptz not null,
	finished_at timestamptz not null default now(),
	status text not null default 'completed' check (status in ('completed')),
	findings integer not null,
	new_findings integer not null,
	reopened integer not null,
	resolved integer not null,
	rows_rejected integer not null,
	version text,
	summary jsonb,
	manifest jsonb
);
-- One completed run per job and cron slot, whatever the number of instances.
create unique index runs_job_slot on {{schema}}.runs (job, scheduled_for) where scheduled_for is not null;
create index runs_job_finished on {{schema}}.runs (job, finished_at desc);

create table {{schema}}.findings (
	finding_id text primary key,
	rule_id text not null,
	family text not null,
	severity text not null check (severity in ('low','medium','high','critical')),
	village_id text not null,
	town_id text,
	subject text not null,
	period text not null,
	amount numeric(14,2),
	title text,
	message text not null,
	responsible text,
	rule_version text,
	evidence jsonb not null,
	first_seen timestamptz not null,
	last_seen timestamptz not null,
	first_run_id text not null references {{schema}}.runs,
	last_run_id text not null references {{schema}}.runs,
	times_seen integer not null,
	status text not null check (status in ('open','resolved')),
	resolved_at timestamptz,
	resolved_run_id text references {{schema}}.runs,
	reopened integer not null default 0
);
create index findings_scope on {{schema}}.findings (status, rule_id, village_id);
create index findings_village on {{schema}}.findings (village_id);

-- Append-only: every change of a finding's status.
create table {{schema}}.finding_events (
	id bigserial primary key,
	finding_id text not null references {{schema}}.findings,
	run_id text not null references {{schema}}.runs,
	event text not null check (event in ('opened','resolved','reopened')),
	at timestamptz not null default now()
);
create index on {{schema}}.finding_events (finding_id);
