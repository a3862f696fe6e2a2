-- Contract tables (contract.md v1), one per table, in the data schema.
-- Money is numeric(14,2) yuan: exact, and sums in SQL read as yuan.
-- _row is the row's position among the loaded rows of the imported file (rows are read back in
-- that order: the ledger's order within a day matters).
create table {{data}}.villages (
	_row bigint not null,
	village_id text primary key,
	village_name text not null,
	town_id text not null,
	town_name text,
	county_id text not null,
	county_name text
);
create table {{data}}.persons (
	_row bigint not null,
	person_id text primary key,
	name text,
	gender text check (gender in ('M','F')),
	birth_date date,
	household_id text,
	relation_to_head text check (relation_to_head in ('head','spouse','child','child_in_law','parent','parent_in_law','sibling','grandchild','grandparent','other')),
	village_id text not null,
	death_date date
);
create table {{data}}.kinship (
	_row bigint not null,
	person_id text not null,
	relative_id text not null,
	relation text not null check (relation in ('spouse','parent','child','sibling','grandparent','grandchild','parent_in_law','child_in_law','sibling_in_law','other'))
);
create table {{data}}.cadres (
	_row bigint not null,
	person_id text not null,
	village_id text not null,
	role text not null check (role in ('secretary','director','deputy_director','committee_member','accountant','cashier','supervisor','subsidy_clerk','group_leader')),
	term_start date not null,
	term_end date
);
create table {{data}}.beneficiaries (
	_row bigint not null,
	case_id text not null,
	program text not null check (program in ('dibao','tekun')),
	person_id text not null,
	village_id text not null,
	applied_on date,
	approved_on date not null,
	ended_on date,
	monthly_amount numeric(14,2),
	handled_by text,
	relative_filed boolean not null,
	primary key (case_id, person_id)
);
create table {{data}}.payments (
	_row bigint not null,
	payment_id text primary key,
	case_id text not null,
	person_id text not null,
	program text not null check (program in ('dibao','tekun')),
	period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	amount numeric(14,2) not null check (amount > 0),
	paid_on date not null,
	account_no text,
	account_holder_id text
);
create table {{data}}.ledger (
	_row bigint not null,
	entry_id text primary key,
	village_id text not null,
	date date not null,
	voucher_no text,
	account text not null check (account in ('cash','bank')),
	direction text not null check (direction in ('in','out')),
	amount numeric(14,2) not null check (amount > 0),
	category text not null check (category in ('opening','collection','remit','deposit','withdrawal','income','expense','subsidy_payout','transfer')),
	counterparty text,
	summary text,
	handled_by text,
	approved_by text
);
create table {{data}}.disclosures (
	_row bigint not null,
	disclosure_id text primary key,
	village_id text not null,
	item text not null check (item in ('finance','dibao_roster','dibao_notice','major_decision','project','collection')),
	period text not null,
	posted_on date not null,
	removed_on date,
	amount_total numeric(14,2)
);
create index on {{data}}.ledger (village_id, date);
create index on {{data}}.payments (person_id);
create index on {{data}}.beneficiaries (person_id);

-- Which tables have been imported: an optional table with no row here is
-- absent (its rules are skipped), not empty.
create table {{schema}}.data_tables (
	table_name text primary key,
	source_file text not null,
	sha256 text not null,
	rows_read bigint not null,
	rows_loaded bigint not null,
	rows_rejected bigint not null,
	imported_at timestamptz not null default now()
);
