-- Run groups (issue #17): the shards of one night, each evaluating its
-- counties (`xiaowei run --shard I/N --run-group G`), stored apart until
-- `xiaowei finish --run-group G` records them as one run in runs.
create table {{schema}}.run_groups (
	group_id text primary key,
	shards integer not null check (shards between 1 and 1000),
	job text not null,
	as_of date not null,
	created_at timestamptz not null default now(),
	run_id text references {{schema}}.runs on delete cascade   -- the run finish recorded; pruning it drops the group
);

create table {{schema}}.shard_runs (
	group_id text not null references {{schema}}.run_groups on delete cascade,
	shard integer not null check (shard >= 0),
	status text not null check (status in ('running', 'stored', 'failed')),
	counties text[] not null default '{}',      -- the counties this shard evaluated
	all_counties text[] not null default '{}',  -- every county it saw: finish checks the shards agree
	rules text[] not null default '{}',         -- rules that ran to the end
	findings integer not null default 0,
	rows_rejected integer not null default 0,
	started_at timestamptz not null,
	stored_at timestamptz,
	error text,
	version text,
	summary jsonb,
	manifest jsonb,
	primary key (group_id, shard)
);

-- A shard's findings until finish; a re-run shard replaces its own.
create table {{schema}}.shard_findings (
	group_id text not null,
	shard integer not null,
	finding_id text not null,
	rule_id text not null,
	family text not null,
	severity text not null,
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
	primary key (group_id, shard, finding_id),
	foreign key (group_id, shard) references {{schema}}.shard_runs on delete cascade
);
