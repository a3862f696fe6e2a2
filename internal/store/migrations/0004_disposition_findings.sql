-- A lead's disposition may list the findings it covered when decided (the
-- lead id is a hash of its grouping key; its findings may change).
alter table {{schema}}.dispositions add column finding_ids text[] not null default '{}';
alter table {{schema}}.disposition_events add column finding_ids text[] not null default '{}';
