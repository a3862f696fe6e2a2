package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/neijiang/xiaowei/internal/auth"
)

// Account is a workbench user.
type Account struct {
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	Towns        []string
	Village      string // informants: the one village they may file about ('' = any village of their towns)
	Disabled     bool
	FailedLogins int
	LockedUntil  time.Time // zero = not locked
	CreatedAt    time.Time
}

// Scope is the account's scope for store queries.
func (a *Account) Scope() auth.Scope {
	return auth.Scope{User: a.Username, Role: a.Role, Towns: a.Towns, Village: a.Village}
}

// ErrExists means the account already exists.
var ErrExists = errors.New("account already exists")

// ErrNotFound means the row does not exist or is outside the caller's
// scope: the two are deliberately indistinguishable.
var ErrNotFound = errors.New("not found")

const accountCols = "username, display_name, password_hash, role, towns, village_id, disabled, failed_logins, locked_until, created_at"

// scanAccount scans accountCols; pre are the destinations of columns the
// query selects before them.
func scanAccount(r pgx.Row, pre ...any) (*Account, error) {
	a := &Account{}
	var locked pgtype.Timestamptz
	dest := append(pre, &a.Username, &a.DisplayName, &a.PasswordHash, &a.Role, &a.Towns, &a.Village, &a.Disabled, &a.FailedLogins, &locked, &a.CreatedAt)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	if locked.Valid {
		a.LockedUntil = locked.Time
	}
	return a, nil
}

// ErrUnknownVillage means an account names a village the store does not
// know (import the data first).
var ErrUnknownVillage = errors.New("unknown village")

// AddAccount creates an account (PasswordHash already hashed) and logs it.
// An account with a village gets that village's town as its only town, read
// from the villages table, so the two can never disagree; an unknown village
// is refused.
func (s *Store) AddAccount(ctx context.Context, a Account, actor string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if a.Village != "" {
			var town string
			err := tx.QueryRow(ctx, "select town_id from "+s.D("villages")+" where village_id = $1", a.Village).Scan(&town)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("village %q: %w (not in %s.villages; import the data first)", a.Village, ErrUnknownVillage, s.Data)
			}
			if err != nil {
				return fmt.Errorf("village %q: %w", a.Village, err)
			}
			if len(a.Towns) > 0 && (len(a.Towns) != 1 || a.Towns[0] != town) {
				return fmt.Errorf("village %q is in town %s, not %s: give --village alone", a.Village, town, strings.Join(a.Towns, ","))
			}
			a.Towns = []string{town}
		}
		_, err := tx.Exec(ctx, "insert into "+s.T("accounts")+" (username, display_name, password_hash, role, towns, village_id) values ($1,$2,$3,$4,$5,$6)",
			a.Username, a.DisplayName, a.PasswordHash, a.Role, nonNil(a.Towns), a.Village)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("%s: %w", a.Username, ErrExists)
		}
		if err != nil {
			return err
		}
		return s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: "user_add",
			After: map[string]any{"username": a.Username, "role": a.Role, "towns": nonNil(a.Towns), "village": a.Village}})
	})
}

// SetPassword replaces an account's password hash, unlocks it and ends its
// sessions.
func (s *Store) SetPassword(ctx context.Context, user, hash, actor string) error {
	return s.accountChange(ctx, user, actor, "user_passwd", nil,
		"update "+s.T("accounts")+" set password_hash = $2, failed_logins = 0, locked_until = null where username = $1", hash)
}

// SetDisabled disables (or enables) an account; disabling ends its sessions.
func (s *Store) SetDisabled(ctx context.Context, user string, disabled bool, actor string) error {
	action := "user_disable"
	if !disabled {
		action = "user_enable"
	}
	return s.accountChange(ctx, user, actor, action, map[string]any{"disabled": disabled},
		"update "+s.T("accounts")+" set disabled = $2 where username = $1", disabled)
}

func (s *Store) accountChange(ctx context.Context, user, actor, action string, after map[string]any, sql string, arg any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sql, user, arg)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("account %s: %w", user, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, "delete from "+s.T("sessions")+" where username = $1", user); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, AuditEntry{Actor: actor, Action: action, Note: user, After: after})
	})
}

// Accounts lists every account by name.
func (s *Store) Accounts(ctx context.Context) ([]*Account, error) {
	rows, err := s.pool.Query(ctx, "select "+accountCols+" from "+s.T("accounts")+" order by username")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// GetAccount returns an account, or nil when there is none.
func (s *Store) GetAccount(ctx context.Context, user string) (*Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "select "+accountCols+" from "+s.T("accounts")+" where username = $1", user))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return a, err
}

// LoginFailed counts a failed sign-in; the max-th failure in a row locks the
// account until now+lock.
func (s *Store) LoginFailed(ctx context.Context, user string, max int, lock time.Duration) error {
	_, err := s.pool.Exec(ctx, "update "+s.T("accounts")+` set failed_logins = failed_logins + 1,
		locked_until = case when failed_logins + 1 >= $2 then now() + $3::interval else locked_until end where username = $1`,
		user, max, fmt.Sprintf("%d seconds", int(lock.Seconds())))
	return err
}

// LoginSucceeded clears the failure count.
func (s *Store) LoginSucceeded(ctx context.Context, user string) error {
	_, err := s.pool.Exec(ctx, "update "+s.T("accounts")+" set failed_logins = 0, locked_until = null where username = $1", user)
	return err
}

// Session is a signed-in session with its account.
type Session struct {
	TokenHash string
	CSRF      string
	Created   time.Time
	Account   *Account
}

// CreateSession stores a new session (the token's hash).
func (s *Store) CreateSession(ctx context.Context, tokenHash, user, csrf string) error {
	_, err := s.pool.Exec(ctx, "insert into "+s.T("sessions")+" (token_hash, username, csrf, created_at, last_seen) values ($1,$2,$3,now(),now())",
		tokenHash, user, csrf)
	return err
}

// GetSession returns the live session with that token hash, or nil. A
// session idle longer than idle, older than absolute, or of a disabled
// account is deleted and not returned. last_seen moves at most once a
// minute, so reading pages does not write on every request.
func (s *Store) GetSession(ctx context.Context, tokenHash string, idle, absolute time.Duration) (*Session, error) {
	ss := &Session{TokenHash: tokenHash}
	var lastSeen time.Time
	row := s.pool.QueryRow(ctx, "select s.csrf, s.created_at, s.last_seen, "+prefixCols("a.", accountCols)+" from "+s.T("sessions")+" s join "+
		s.T("accounts")+" a using (username) where s.token_hash = $1", tokenHash)
	a, err := scanAccount(row, &ss.CSRF, &ss.Created, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if a.Disabled || now.Sub(lastSeen) > idle || now.Sub(ss.Created) > absolute {
		return nil, s.DeleteSession(ctx, tokenHash)
	}
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.pool.Exec(ctx, "update "+s.T("sessions")+" set last_seen = now() where token_hash = $1", tokenHash); err != nil {
			return nil, err
		}
	}
	a.PasswordHash = "" // a session never carries the hash further
	ss.Account = a
	return ss, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.pool.Exec(ctx, "delete from "+s.T("sessions")+" where token_hash = $1", tokenHash)
	return err
}

func prefixCols(p, cols string) string {
	fs := strings.Split(cols, ", ")
	for i := range fs {
		fs[i] = p + fs[i]
	}
	return strings.Join(fs, ", ")
}
