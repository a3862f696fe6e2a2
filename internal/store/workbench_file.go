package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
)

// FiledLead is what an informant reports.
type FiledLead struct {
	VillageID string
	Who       string // the person concerned
	What      string // what they saw
	Where     string
	When      string // YYYY-MM-DD
}

// FileLead enters an informant's report into the queue as a 待分派 lead
// marked 信息员报告, in the filer's own village (or, for an informant without
// one, a village of its towns; district inspectors may file anywhere). It returns the new lead id.
func (s *Store) FileLead(ctx context.Context, sc auth.Scope, f FiledLead, dueDays int) (string, error) {
	if !sc.CanFile() {
		return "", ErrForbidden
	}
	if dueDays <= 0 {
		dueDays = DefaultDueDays
	}
	var problems []string
	if strings.TrimSpace(f.Who) == "" {
		problems = append(problems, "涉及人员 is required")
	}
	if strings.TrimSpace(f.What) == "" {
		problems = append(problems, "问题描述 is required")
	}
	if f.When != "" {
		if _, err := civil.Parse(f.When); err != nil {
			problems = append(problems, "发生日期: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	var vname, town, tname string
	err := s.pool.QueryRow(ctx, "select village_name, town_id, coalesce(town_name,'') from "+s.D("villages")+" where village_id = $1", f.VillageID).
		Scan(&vname, &town, &tname)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !sc.MayFileAbout(f.VillageID, town)) {
		return "", fmt.Errorf("village %q: not one of your villages", f.VillageID)
	}
	if err != nil {
		return "", err
	}
	id := "R" + auth.TokenHash(auth.NewToken())[:16]
	summary := f.What
	if f.Where != "" {
		summary = "地点：" + f.Where + "；" + summary
	}
	if f.When != "" {
		summary = "时间：" + f.When + "；" + summary
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "insert into "+s.T("work_leads")+` (lead_id, source, kind, town_id, town_name, village_id, village_name,
			person_name, severity, summary, first_seen, last_seen, filed_by, due_on)
			values ($1,'informant','person',$2,$3,$4,$5,$6,'medium',$7,now(),now(),$8,(now() at time zone 'Asia/Shanghai')::date + $9::int)`,
			id, town, tname, f.VillageID, vname, f.Who, summary, sc.User, dueDays); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, AuditEntry{Actor: sc.User, Action: "filed", LeadID: id, TownID: town, Note: "信息员报告"})
	})
	return id, err
}
