-- Tables for leads and dispositions (issue #7 writes them).
create table {{schema}}.leads (
	run_id text not null references {{schema}}.runs on delete cascade,
	lead_id text not null,
	village_id text,
	person_id text,
	score double precision,
	amount numeric(14,2),
	rules text[] not null default '{}',
	finding_ids text[] not null default '{}',
	payload jsonb not null,
	primary key (run_id, lead_id)
);
create index on {{schema}}.leads (lead_id);

-- The current decision on a finding or lead; disposition_events keeps
-- every decision ever made (append-only audit trail).
create table {{schema}}.dispositions (
	finding_or_lead_id text not null,
	kind text not null check (kind in ('finding','lead')),
	status text not null check (status in ('confirmed','false_positive','suppressed')),
	until date,
	reason text not null,
	decided_by text not null,
	decided_at timestamptz not null default now(),
	primary key (finding_or_lead_id, kind)
);
create table {{schema}}.disposition_events (
	id bigserial primary key,
	finding_or_lead_id text not null,
	kind text not null check (kind in ('finding','lead')),
	status text not null check (status in ('confirmed','false_positive','suppressed')),
	until date,
	reason text not null,
	decided_by text not null,
	decided_at timestamptz not null default now()
);
create index on {{schema}}.disposition_events (finding_or_lead_id);
create function {{schema}}.disposition_events_append_only() returns trigger language plpgsql as $$
begin
	raise exception 'disposition_events is append-only';
end $$;
create trigger disposition_events_append_only before update or delete on {{schema}}.disposition_events
	for each statement execute function {{schema}}.disposition_events_append_only();
