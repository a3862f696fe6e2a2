// Package auth is who may do what in the workbench: roles and the scope
// value every store query of the workbench takes (so no page can forget the
// town filter), password hashing (argon2id), session and CSRF tokens, and
// sign-in throttling. It knows no database and no HTTP.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Roles.
const (
	District  = "district"  // 区纪委监委: every lead; assigns, decides
	Town      = "town"      // 镇纪委: the leads of their own town(s); works them
	Leader    = "leader"    // 领导: read-only, everything
	Informant = "informant" // 监察信息员/网格员: files leads, sees only their own
	Admin     = "admin"     // accounts and the audit log, no leads
)

// Roles lists the roles.
var Roles = []string{District, Town, Leader, Informant, Admin}

// RoleLabels are the roles in Chinese.
var RoleLabels = map[string]string{District: "区纪委监委", Town: "镇纪委", Leader: "领导", Informant: "监察信息员", Admin: "系统管理员"}

// ValidRole checks a role name.
func ValidRole(r string) error {
	if slices.Contains(Roles, r) {
		return nil
	}
	return fmt.Errorf("role %q: want one of %s", r, strings.Join(Roles, ", "))
}

// Scope is who is asking. Store methods of the workbench take it and
// filter by it, so a handler cannot leave a town's leads unfiltered.
type Scope struct {
	User  string
	Role  string
	Towns []string // town officers and informants: the towns they belong to
	// Village narrows an informant to the one village it watches: it may
	// file only about that village ('' = any village of its towns).
	Village string
}

// AllLeads says whether the scope sees every lead.
func (s Scope) AllLeads() bool { return s.Role == District || s.Role == Leader }

// SeesLeads says whether the scope sees any lead at all.
func (s Scope) SeesLeads() bool { return s.Role != Admin && s.Role != "" }

// CanWork says whether the scope may change a lead's workflow (assign,
// status, conclusion, outcomes, comments). Town officers work their own
// town's leads; leaders only read.
func (s Scope) CanWork() bool { return s.Role == District || s.Role == Town }

// CanAssign says whether the scope may assign leads (district only).
func (s Scope) CanAssign() bool { return s.Role == District }

// CanReveal says whether the scope may reveal masked IDs and names (with a
// reason, logged).
func (s Scope) CanReveal() bool { return s.Role == District || s.Role == Town }

// CanFile says whether the scope may file a lead (informants; district
// inspectors may too, e.g. from a phone call).
func (s Scope) CanFile() bool { return s.Role == Informant || s.Role == District }

// MayFileAbout says whether the scope may file a lead about a village of
// that town: district inspectors anywhere, an informant in its own village
// (or, without one, in its towns).
func (s Scope) MayFileAbout(village, town string) bool {
	if !s.CanFile() {
		return false
	}
	if s.Role == District {
		return true
	}
	if s.Village != "" {
		return village == s.Village
	}
	return slices.Contains(s.Towns, town)
}

// IsAdmin says whether the scope manages accounts and reads the audit log.
func (s Scope) IsAdmin() bool { return s.Role == Admin }

// InTown says whether a town is inside the scope's towns.
func (s Scope) InTown(town string) bool { return s.AllLeads() || slices.Contains(s.Towns, town) }

// Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2
// passes, 1 lane), so 20 people signing in at once fit in memory.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// CheckPassword says whether a new password is acceptable.
func CheckPassword(pw string) error {
	if len([]rune(pw)) < MinPassword {
		return fmt.Errorf("password too short: at least %d characters", MinPassword)
	}
	return nil
}

// HashPassword returns an encoded argon2id hash with a fresh salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is compared against when the user does not exist, so a wrong
// user name costs as much time as a wrong password. It is made on first
// use, not at init: every xiaowei command links this package, and an
// argon2 hash at init cost each of them (a batch run too) 67 ms of CPU and
// 20 MB before main.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no such user: equal work")
	return h
})

// Prepare makes the dummy hash now. A server calls it as it starts: made
// lazily, the first sign-in of an unknown user would take the hash's 67 ms
// longer than a wrong password, telling the two apart.
func Prepare() { dummyHash() }

// VerifyPassword checks pw against an encoded hash in constant time. An
// empty hash (unknown user) is checked against a dummy and fails.
func VerifyPassword(encoded, pw string) bool {
	known := encoded != ""
	if !known {
		encoded = dummyHash()
	}
	ok, err := verify(encoded, pw)
	return known && ok && err == nil
}

func verify(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NewToken returns 32 random bytes, URL-safe base64: session ids and CSRF
// tokens.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source failing is not recoverable
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash is what the store keeps of a session token: a stolen database
// dump does not give working cookies.
func TokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// SameToken compares two tokens in constant time; empty never matches.
func SameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
