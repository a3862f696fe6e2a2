package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q: want an argon2id encoding without the password", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name, hash, pw string
		want           bool
	}{
		{"right password", h, "correct horse battery", true},
		{"wrong password", h, "correct horse batterx", false},
		{"unknown user", "", "correct horse battery", false},
		{"garbage hash", "$argon2id$zz", "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyPassword(tc.hash, tc.pw); got != tc.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScope(t *testing.T) {
	for _, tc := range []struct {
		s                                 Scope
		all, work, assign, reveal, inTown bool
	}{
		{Scope{Role: District}, true, true, true, true, true},
		{Scope{Role: Town, Towns: []string{"T1"}}, false, true, false, true, true},
		{Scope{Role: Town, Towns: []string{"T2"}}, false, true, false, true, false},
		{Scope{Role: Leader}, true, false, false, false, true},
		{Scope{Role: Informant, Towns: []string{"T1"}}, false, false, false, false, true},
		{Scope{Role: Admin}, false, false, false, false, false},
	} {
		t.Run(tc.s.Role+strings.Join(tc.s.Towns, ","), func(t *testing.T) {
			if tc.s.AllLeads() != tc.all || tc.s.CanWork() != tc.work || tc.s.CanAssign() != tc.assign ||
				tc.s.CanReveal() != tc.reveal || tc.s.InTown("T1") != tc.inTown {
				t.Fatalf("%+v: all=%v work=%v assign=%v reveal=%v inTown=%v", tc.s, tc.s.AllLeads(), tc.s.CanWork(),
					tc.s.CanAssign(), tc.s.CanReveal(), tc.s.InTown("T1"))
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(3, time.Minute)
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := th.Allowed("1.2.3.4"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		th.Fail("1.2.3.4")
	}
	if ok, wait := th.Allowed("1.2.3.4"); ok || wait != time.Minute {
		t.Fatalf("after 3 failures: allowed=%v wait=%v, want refused for 1m", ok, wait)
	}
	if ok, _ := th.Allowed("5.6.7.8"); !ok {
		t.Fatal("another address is refused")
	}
	now = now.Add(61 * time.Second)
	if ok, _ := th.Allowed("1.2.3.4"); !ok {
		t.Fatal("still refused after the window")
	}
}

// Who may file about which village: district anywhere, an informant in its
// own village (or its towns when it has no village), nobody else.
func TestMayFileAbout(t *testing.T) {
	const t1, t2, v1, v3, v2 = "T1", "T2", "V1", "V3", "V2" // V1, V3 in T1; V2 in T2
	for _, tc := range []struct {
		name    string
		sc      Scope
		village string
		town    string
		want    bool
	}{
		{"district anywhere", Scope{Role: District}, v2, t2, true},
		{"village informant, own village", Scope{Role: Informant, Towns: []string{t1}, Village: v1}, v1, t1, true},
		{"village informant, other village of its town", Scope{Role: Informant, Towns: []string{t1}, Village: v1}, v3, t1, false},
		{"village informant, other town", Scope{Role: Informant, Towns: []string{t1}, Village: v1}, v2, t2, false},
		{"town informant, its town", Scope{Role: Informant, Towns: []string{t1}}, v3, t1, true},
		{"town informant, other town", Scope{Role: Informant, Towns: []string{t1}}, v2, t2, false},
		{"town officer", Scope{Role: Town, Towns: []string{t1}}, v1, t1, false},
		{"leader", Scope{Role: Leader}, v1, t1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.sc.MayFileAbout(tc.village, tc.town); got != tc.want {
				t.Fatalf("MayFileAbout(%s, %s) = %v, want %v", tc.village, tc.town, got, tc.want)
			}
		})
	}
}

// TestDummyHashIsReal: the hash an unknown user is checked against is a
// real argon2id hash with the same parameters as a stored one (so the
// check costs what a wrong password costs), even the dummy's own password
// does not sign an unknown user in, and Prepare makes it ahead of use.
func TestDummyHashIsReal(t *testing.T) {
	Prepare()
	d := dummyHash()
	real, _ := HashPassword("x")
	if !strings.HasPrefix(d, "$argon2id$") || strings.Count(d, "$") != strings.Count(real, "$") ||
		strings.Split(d, "$")[3] != strings.Split(real, "$")[3] {
		t.Fatalf("dummy %q is not an argon2id hash with the parameters of %q", d, real)
	}
	if ok, err := verify(d, "no such user: equal work"); !ok || err != nil {
		t.Fatalf("the dummy does not verify its own password: %v %v", ok, err)
	}
	if VerifyPassword("", "no such user: equal work") {
		t.Fatal("an unknown user signed in with the dummy's password")
	}
}
