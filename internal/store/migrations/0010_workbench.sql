-- The inspectors' workbench (issue #13). Workflow state lives in tables of
-- its own keyed by the stable lead id, so a nightly run (which only writes
-- the leads table and the facts columns of work_leads) never overwrites an
-- assignment, a decision, a comment or an outcome.
create table {{schema}}.accounts (
	username text primary key,
	display_name text not null default '',
	password_hash text not null,
	role text not null check (role in ('district','town','leader','informant','admin')),
	towns text[] not null default '{}',
	disabled boolean not null default false,
	failed_logins integer not null default 0,
	locked_until timestamptz,
	created_at timestamptz not null default now()
);
-- Sessions: only the SHA-256 of the cookie's token is stored.
create table {{schema}}.sessions (
	token_hash text primary key,
	username text not null references {{schema}}.accounts on delete cascade,
	csrf text not null,
	created_at timestamptz not null,
	last_seen timestamptz not null
);
create index on {{schema}}.sessions (username);

-- One row per lead ever seen (or filed by an informant). Facts columns
-- (town_id … last_run_id) are refreshed by each run; workflow columns
-- (status … version) are changed only by people, under optimistic locking
-- on version.
create table {{schema}}.work_leads (
	lead_id text primary key,
	source text not null check (source in ('run','informant')),
	kind text not null,
	town_id text not null default '',
	town_name text not null default '',
	village_id text not null default '',
	village_name text not null default '',
	person_id text,
	person_name text,
	severity text not null default 'low',
	score double precision not null default 0,
	amount numeric(14,2),
	families text[] not null default '{}',
	rules text[] not null default '{}',
	finding_ids text[] not null default '{}',
	campaigns text[] not null default '{}',
	summary text not null default '',
	payload jsonb not null default '{}',
	first_seen timestamptz not null,
	last_seen timestamptz not null,
	first_run_id text,
	last_run_id text,
	times_seen integer not null default 0,
	resolved_at timestamptz,
	reopened integer not null default 0,
	filed_by text,
	status text not null default 'pending' check (status in ('pending','assigned','verifying','closed')),
	assignee text,
	conclusion text check (conclusion in ('substantiated','partly','unfounded','deferred')),
	defer_until date,
	due_on date not null,
	version integer not null default 1,
	updated_at timestamptz not null default now()
);
-- The queue's orders (score, amount, age), alone and under the usual
-- filters (town, status, both); counts per status read the same indexes.
create index work_leads_score on {{schema}}.work_leads (score desc, lead_id);
create index work_leads_amount on {{schema}}.work_leads (amount desc nulls last, lead_id);
create index work_leads_age on {{schema}}.work_leads (first_seen, lead_id);
create index work_leads_town_score on {{schema}}.work_leads (town_id, score desc, lead_id);
create index work_leads_status_score on {{schema}}.work_leads (status, score desc, lead_id);
create index work_leads_town_status_score on {{schema}}.work_leads (town_id, status, score desc, lead_id);
-- Counts per status, and the ids of a page, under the queue's filters
-- read this index alone
-- (index-only scans): a town's leads are spread over the whole table, and
-- visiting their heap pages to count them costs ten times more.
create index work_leads_counts on {{schema}}.work_leads (town_id, status)
	include (score, lead_id, village_id, severity, amount, due_on, first_seen, assignee, filed_by, families, rules, campaigns);
create index work_leads_village on {{schema}}.work_leads (village_id, score desc, lead_id);
create index work_leads_person on {{schema}}.work_leads (person_id, score desc, lead_id) where person_id is not null;
create index work_leads_filed_by on {{schema}}.work_leads (filed_by) where filed_by is not null;

-- Accountability outcomes (问责结果) recorded on a concluded lead.
create table {{schema}}.outcomes (
	id bigserial primary key,
	lead_id text not null references {{schema}}.work_leads,
	person text not null,
	form text not null,
	decided_on date not null,
	doc_no text not null default '',
	recovered numeric(14,2) not null default 0 check (recovered >= 0),
	recorded_by text not null,
	recorded_at timestamptz not null default now()
);
create index on {{schema}}.outcomes (lead_id);

-- The audit log: every change of a lead (who, when, what, before → after),
-- comments, reveals of masked data, exports, sign-ins and account changes.
-- Append-only. town_id scopes a lead's events for town officers.
create table {{schema}}.audit (
	id bigserial primary key,
	at timestamptz not null default now(),
	actor text not null,
	action text not null,
	lead_id text,
	town_id text,
	before jsonb,
	after jsonb,
	note text not null default ''
);
create index on {{schema}}.audit (lead_id, id);
create index on {{schema}}.audit (at desc);
create function {{schema}}.audit_append_only() returns trigger language plpgsql as $$
begin
	raise exception 'audit is append-only';
end $$;
create trigger audit_append_only before update or delete on {{schema}}.audit
	for each statement execute function {{schema}}.audit_append_only();
