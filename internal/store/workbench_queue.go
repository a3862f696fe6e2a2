package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/dispose"
)

// QueueFilter narrows and orders the lead queue. Empty fields do not
// filter.
type QueueFilter struct {
	Town, Village, Family, Rule, Severity, Status, Assignee, Campaign string
	FirstFrom, FirstTo                                                string // YYYY-MM-DD, Asia/Shanghai days
	AmountMin, AmountMax                                              int64  // fen; 0 = open
	HasAmountMin, HasAmountMax                                        bool
	Overdue                                                           bool
	Search                                                            string // lead id, person or village name, summary
	Sort                                                              string // score (default) | amount | age
	Page, PerPage                                                     int    // Page from 1
	Today                                                             civil.Date
	// NoCounts skips the counts per status (the caller has them); Queue
	// then returns a nil map and a total of -1.
	NoCounts bool
}

// QueueRow is one lead in the queue.
type QueueRow struct {
	LeadID, Source, Kind                   string
	TownID, TownName, VillageID, VillageNm string
	PersonID, PersonName                   string
	Severity                               string
	Score                                  float64
	AmountFen                              int64
	HasAmount                              bool
	Families, Rules, Campaigns, FindingIDs []string
	Status, Assignee, Conclusion           string
	DeferUntil                             string
	DueOn                                  string
	Overdue                                bool
	FirstSeen, LastSeen                    time.Time
	TimesSeen, Reopened                    int
	Resolved                               bool
	Summary, FiledBy                       string
	Version                                int
}

// whereBuilder collects conditions with numbered parameters.
type whereBuilder struct {
	conds []string
	args  []any
}

func (w *whereBuilder) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *whereBuilder) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " and ")
}

// scopeLeads is the condition every workbench query of work_leads (alias
// w) starts with.
func scopeLeads(w *whereBuilder, sc auth.Scope) {
	switch {
	case sc.AllLeads():
		w.add("true")
	case sc.Role == auth.Town:
		w.add("w.town_id = any(?)", nonNil(sc.Towns))
	case sc.Role == auth.Informant:
		w.add("w.filed_by = ?", sc.User)
	default:
		w.add("false")
	}
}

const queueCols = `w.lead_id, w.source, w.kind, w.town_id, w.town_name, w.village_id, w.village_name, coalesce(w.person_id,''),
	coalesce(w.person_name,''), w.severity, w.score, coalesce((w.amount*100)::bigint, 0), w.amount is not null, w.families, w.rules,
	w.campaigns, w.finding_ids, w.status, coalesce(w.assignee,''), coalesce(w.conclusion,''), coalesce(to_char(w.defer_until,'YYYY-MM-DD'),''),
	to_char(w.due_on,'YYYY-MM-DD'), w.status <> 'closed' and w.due_on < $1::date, w.first_seen, w.last_seen, w.times_seen, w.reopened,
	w.resolved_at is not null, w.summary, coalesce(w.filed_by,''), w.version`

// scanQueueRow scans queueCols; post are the destinations of columns the
// query selects after them.
func scanQueueRow(r pgx.Row, q *QueueRow, post ...any) error {
	return r.Scan(append([]any{&q.LeadID, &q.Source, &q.Kind, &q.TownID, &q.TownName, &q.VillageID, &q.VillageNm, &q.PersonID, &q.PersonName,
		&q.Severity, &q.Score, &q.AmountFen, &q.HasAmount, &q.Families, &q.Rules, &q.Campaigns, &q.FindingIDs, &q.Status, &q.Assignee,
		&q.Conclusion, &q.DeferUntil, &q.DueOn, &q.Overdue, &q.FirstSeen, &q.LastSeen, &q.TimesSeen, &q.Reopened, &q.Resolved,
		&q.Summary, &q.FiledBy, &q.Version}, post...)...)
}

func (f *QueueFilter) where(sc auth.Scope) *whereBuilder {
	w := &whereBuilder{}
	w.add("?::date is not null", f.Today.String()) // $1 is today, used by the overdue column
	scopeLeads(w, sc)
	if f.Town != "" {
		w.add("w.town_id = ?", f.Town)
	}
	if f.Village != "" {
		w.add("w.village_id = ?", f.Village)
	}
	if f.Family != "" {
		w.add("? = any(w.families)", f.Family)
	}
	if f.Rule != "" {
		w.add("? = any(w.rules)", f.Rule)
	}
	if f.Severity != "" {
		w.add("w.severity = ?", f.Severity)
	}
	if f.Status != "" {
		w.add("w.status = ?", f.Status)
	}
	if f.Assignee != "" {
		w.add("w.assignee = ?", f.Assignee)
	}
	if f.Campaign != "" {
		w.add("? = any(w.campaigns)", f.Campaign)
	}
	if f.FirstFrom != "" {
		w.add("w.first_seen >= (?::date)::timestamp at time zone 'Asia/Shanghai'", f.FirstFrom)
	}
	if f.FirstTo != "" {
		w.add("w.first_seen < (?::date + 1)::timestamp at time zone 'Asia/Shanghai'", f.FirstTo)
	}
	if f.HasAmountMin {
		w.add("w.amount >= ?::numeric / 100", f.AmountMin)
	}
	if f.HasAmountMax {
		w.add("w.amount <= ?::numeric / 100", f.AmountMax)
	}
	if f.Overdue {
		w.add("w.status <> 'closed' and w.due_on < $1::date")
		if f.Status == dispose.Closed {
			w.add("false") // a closed lead is never overdue
		}
	}
	if f.Search != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Search) + "%"
		w.add("(w.lead_id = ? or w.person_name like ? or w.village_name like ? or w.summary like ?)", f.Search, pat, pat, pat)
	}
	return w
}

// Queue returns one page of the leads in scope matching the filter, the
// number matching, and the counts per workflow status (of the leads
// matching every filter but the status).
func (s *Store) Queue(ctx context.Context, sc auth.Scope, f QueueFilter) (rows []QueueRow, total int, byStatus map[string]int, err error) {
	if f.PerPage <= 0 || f.PerPage > 100000 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.Today == 0 {
		f.Today = civil.Today()
	}
	order := "w.score desc, w.lead_id"
	switch f.Sort {
	case "amount":
		order = "w.amount desc nulls last, w.lead_id"
	case "age":
		order = "w.first_seen, w.lead_id"
	}
	status := f.Status
	f.Status = ""
	wAll := f.where(sc)
	f.Status = status
	w := f.where(sc)
	args := append(w.args, f.PerPage, (f.Page-1)*f.PerPage)
	// The counts per status (from which the total follows) and the page go
	// to the server as one batch: one round trip.
	b := &pgx.Batch{}
	if !f.NoCounts {
		b.Queue("select w.status, count(*) from "+s.T("work_leads")+" w where "+wAll.sql()+" group by w.status", wAll.args...)
	}
	// Two steps: the page's lead ids (which the covering index can answer
	// alone, whatever the filter), then their rows by primary key. A rare
	// filter combination then never walks the whole table in score order.
	b.Queue("select "+queueCols+" from "+s.T("work_leads")+" w join (select w.lead_id from "+s.T("work_leads")+" w where "+w.sql()+
		" order by "+order+" limit $"+strconv.Itoa(len(args)-1)+" offset $"+strconv.Itoa(len(args))+") page using (lead_id) order by "+order, args...)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if f.NoCounts {
		total = -1
	} else if total, byStatus, err = readCounts(br, status); err != nil {
		return nil, 0, nil, err
	}
	r, err := br.Query()
	if err != nil {
		return nil, 0, nil, err
	}
	defer r.Close()
	for r.Next() {
		var x QueueRow
		if err := scanQueueRow(r, &x); err != nil {
			return nil, 0, nil, err
		}
		rows = append(rows, x)
	}
	return rows, total, byStatus, r.Err()
}

// readCounts reads the counts per status; total counts status only (all
// when empty).
func readCounts(br pgx.BatchResults, status string) (total int, byStatus map[string]int, err error) {
	crows, err := br.Query()
	if err != nil {
		return 0, nil, err
	}
	defer crows.Close()
	byStatus = map[string]int{}
	for crows.Next() {
		var st string
		var n int
		if err := crows.Scan(&st, &n); err != nil {
			return 0, nil, err
		}
		byStatus[st] = n
		if status == "" || status == st {
			total += n
		}
	}
	return total, byStatus, crows.Err()
}
