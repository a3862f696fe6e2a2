-- Informants (监察信息员/网格员) are the district's eyes in one village: an
-- account may be scoped to a village (its town is derived from the
-- villages table when the account is added). '' = no village scope.
alter table {{schema}}.accounts add column village_id text not null default '';
