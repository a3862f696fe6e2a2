package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
)

// Village is a village for pickers.
type Village struct{ VillageID, VillageName, TownID, TownName string }

// Villages lists the villages in scope (all for district and leader; an
// informant with a village, that village only).
func (s *Store) Villages(ctx context.Context, sc auth.Scope) ([]Village, error) {
	rows, err := s.pool.Query(ctx, "select village_id, village_name, town_id, coalesce(town_name,'') from "+s.D("villages")+
		" where ($1 or town_id = any($2)) and ($3 = '' or village_id = $3) order by town_id, village_id", sc.AllLeads(), nonNil(sc.Towns), sc.Village)
	return collectVillages(rows, err)
}

// collectVillages reads village rows (id, name, town id, town name).
func collectVillages(rows pgx.Rows, err error) ([]Village, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Village])
}

// Assignees lists the active accounts leads can be assigned to.
func (s *Store) Assignees(ctx context.Context) ([]*Account, error) {
	all, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Account
	for _, a := range all {
		if !a.Disabled && (a.Role == auth.District || a.Role == auth.Town) {
			a.PasswordHash = ""
			out = append(out, a)
		}
	}
	return out, nil
}
