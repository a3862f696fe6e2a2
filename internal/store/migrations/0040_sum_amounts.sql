-- Money range (internal/money): a contract amount is at most
-- 999,999,999,999.99 yuan, exactly what the data tables' numeric(14,2)
-- holds, and the loader rejects anything beyond, naming file, line and
-- column. Finding and lead amounts are sums of such amounts (a month's
-- spending, a lead's subjects): they may exceed 10^12 yuan but always fit
-- int64 fen (the loader and money.Add refuse overflow), which numeric(19,2)
-- holds whole.
alter table {{schema}}.findings alter column amount type numeric(19,2);
alter table {{schema}}.leads alter column amount type numeric(19,2);
