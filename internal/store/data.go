package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/civil"
)

// VillageRows counts the rows of each village in the row tables (persons,
// beneficiaries, ledger, disclosures by village_id; payments by their
// case's village): the work a village brings to a run, for balancing
// shards. Every shard reads the same counts, so they agree.
func (s *Store) VillageRows(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `select village_id, count(*) from (
			select village_id from `+s.D("persons")+` union all select village_id from `+s.D("beneficiaries")+`
			union all select village_id from `+s.D("ledger")+` union all select village_id from `+s.D("disclosures")+`
			union all select b.village_id from `+s.D("payments")+` p
				join (select distinct on (case_id) case_id, village_id from `+s.D("beneficiaries")+` order by case_id, _row desc) b using (case_id)
		) x where village_id is not null group by village_id`)
	if err != nil {
		return nil, fmt.Errorf("rows per village: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var v string
		var n int64
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}

func dateTime(d civil.Date) time.Time {
	y, m, day := d.YMD()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// PersonNames returns the distinct names of the persons register, for
// masking names in a report's free text.
func (s *Store) PersonNames(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, "select distinct name from "+s.D("persons")+" where name <> '' order by name")
	if err != nil {
		return nil, fmt.Errorf("reading person names: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading person names: %w", err)
	}
	return names, nil
}
