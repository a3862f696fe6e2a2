package store

import (
	"context"
	"fmt"
	"math/big"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/findings"
)

// GroupFindings reads a group's stored findings back, in the order a
// whole run writes them (for the group's leads).
func (s *Store) GroupFindings(ctx context.Context, group string) ([]*findings.Finding, error) {
	rows, err := s.pool.Query(ctx, `select distinct on (finding_id) finding_id, rule_id, family, severity, village_id, coalesce(town_id, ''),
		subject, period, amount, coalesce(title, ''), message, coalesce(responsible, ''), coalesce(rule_version, ''), evidence
		from `+s.T("shard_findings")+` where group_id = $1 order by finding_id, shard`, group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*findings.Finding
	for rows.Next() {
		f := &findings.Finding{}
		var amount pgtype.Numeric
		if err := rows.Scan(&f.FindingID, &f.RuleID, &f.Family, &f.Severity, &f.VillageID, &f.TownID, &f.Subject, &f.Period, &amount,
			&f.Title, &f.Message, &f.Responsible, &f.RuleHash, &f.Evidence); err != nil {
			return nil, err
		}
		if amount.Valid {
			fen, err := numericFen(amount)
			if err != nil {
				return nil, fmt.Errorf("finding %s amount: %w", f.FindingID, err)
			}
			f.Amount = &findings.Amount{Fen: fen}
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	findings.Sort(out)
	return out, nil
}

// numericFen converts a numeric(14,2) to fen exactly.
func numericFen(n pgtype.Numeric) (int64, error) {
	v := new(big.Int).Set(n.Int)
	for e := n.Exp; e > -2; e-- {
		v.Mul(v, big.NewInt(10))
	}
	for e := n.Exp; e < -2; e++ {
		q, r := new(big.Int).QuoRem(v, big.NewInt(10), new(big.Int))
		if r.Sign() != 0 {
			return 0, fmt.Errorf("%v has more than two decimals", n)
		}
		v = q
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("%v out of range", n)
	}
	return v.Int64(), nil
}
