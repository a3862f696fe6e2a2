package web

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/auth"
	"github.com/neijiang/xiaowei/internal/store"
)

// NewAccount: a village is for informants only, and an informant needs a
// village or a town.
func TestNewAccountVillage(t *testing.T) {
	for _, tc := range []struct {
		name, role, towns, village, err string
	}{
		{"informant with a village", auth.Informant, "", V1, ""},
		{"informant with a town", auth.Informant, T1, "", ""},
		{"informant with neither", auth.Informant, "", "", "needs --village"},
		{"town officer with a village", auth.Town, T1, V1, "for informants only"},
		{"district with a village", auth.District, "", V1, "for informants only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAccount("u", "", tc.role, tc.towns, tc.village, Password)
			if tc.err == "" {
				if err != nil || a.Village != tc.village {
					t.Fatalf("got %v, %+v", err, a)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// An informant scoped to a village: its town comes from the villages table,
// an unknown village is refused, the filing form offers only its village
// and a POST naming another village of the same town is refused.
func TestInformantVillage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t.Run("town derived from the village", func(t *testing.T) {
		a, err := e.st.GetAccount(ctx, "xv1")
		if err != nil || a == nil {
			t.Fatal(err)
		}
		if a.Village != V1 || !slices.Equal(a.Towns, []string{T1}) {
			t.Fatalf("xv1: village %q towns %v, want %s in [%s]", a.Village, a.Towns, V1, T1)
		}
	})
	for _, tc := range []struct {
		name, towns, village string
		want                 error
		msg                  string
	}{
		{"unknown village", "", "511002999999", store.ErrUnknownVillage, "511002999999"},
		{"village and another town", T2, V1, nil, "is in town " + T1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewAccount("bad-"+tc.village, "", auth.Informant, tc.towns, tc.village, Password)
			if err != nil {
				t.Fatal(err)
			}
			err = e.st.AddAccount(ctx, *a, "test")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want %v %q", err, tc.want, tc.msg)
			}
			if got, _ := e.st.GetAccount(ctx, a.Username); got != nil {
				t.Fatal("the refused account was stored")
			}
		})
	}
	xv := e.signIn("xv1")
	t.Run("form offers only its village", func(t *testing.T) {
		code, page := xv.get("/file")
		if code != 200 || !strings.Contains(page, `value="`+V1+`"`) || strings.Contains(page, `value="`+V3+`"`) || strings.Contains(page, `value="`+V2+`"`) {
			t.Fatalf("GET /file: %d; want V1 only offered", code)
		}
		// The town-scoped informant of the same town is offered both.
		_, page = e.signIn("xx1").get("/file")
		if !strings.Contains(page, `value="`+V1+`"`) || !strings.Contains(page, `value="`+V3+`"`) {
			t.Fatal("a town-scoped informant is not offered its town's villages")
		}
	})
	for _, tc := range []struct {
		name, village string
		code          int
	}{
		{"another village of its town", V3, http.StatusUnprocessableEntity},
		{"a village of another town", V2, http.StatusUnprocessableEntity},
		{"its own village", V1, http.StatusSeeOther},
	} {
		t.Run("POST "+tc.name, func(t *testing.T) {
			code, body, _ := xv.post("/file", "village", tc.village, "who", "王某", "what", "公车私用", "when", "2025-06-01")
			if code != tc.code {
				t.Fatalf("filing about %s: %d, want %d", tc.village, code, tc.code)
			}
			if code != http.StatusSeeOther && !strings.Contains(body, "not one of your villages") {
				t.Fatal("the refusal does not say why")
			}
		})
	}
	if _, page := xv.get("/leads"); total(t, page) != "1" {
		t.Fatalf("xv1 has %s leads, want only the one filed about its village", total(t, page))
	}
	// The queue's village picker is cached by scope: the village-scoped
	// informant's one village must not become its town officer's list.
	if _, page := e.signIn("zhen1").get("/leads"); !strings.Contains(page, `value="`+V3+`"`) {
		t.Fatal("after xv1's queue, zhen1's village picker lacks V3 (picker cache shared across scopes)")
	}
}

// Exports are masked unless a user who may reveal asks, with a reason; the
// unmasked export is logged with who, reason, filter and row count, and it
// stays formula-guarded. Leaders, informants and admins get 403.
func TestExportUnmasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	guarded := "'" + hostileName2 // P2's name, a formula, unmasked but inert
	for _, tc := range []struct {
		user, path, reason string
		code               int
		has, hasNot        []string
	}{
		{"qu", "/leads/export.csv", "核查王某线索需联系当事人", 200, []string{hostileName}, nil},
		{"zhen1", "/leads/export.csv?town=" + T1, "镇纪委约谈", 200, []string{hostileName}, []string{"梅堂湾村"}},
		{"zhen1", "/leads/export.csv", "  ", http.StatusBadRequest, []string{"须说明理由"}, []string{hostileName}},
		{"ld", "/leads/export.csv", "领导要看", http.StatusForbidden, nil, []string{hostileName}},
		{"xx1", "/leads/export.csv", "信息员", http.StatusForbidden, nil, []string{hostileName}},
		{"adm", "/leads/export.xlsx", "管理员", http.StatusForbidden, nil, nil},
	} {
		t.Run(tc.user+" "+tc.path+" "+itoa(tc.code), func(t *testing.T) {
			c := e.signIn(tc.user)
			code, body, _ := c.post(tc.path, "reason", tc.reason)
			if code != tc.code {
				t.Fatalf("POST %s as %s: %d, want %d: %s", tc.path, tc.user, code, tc.code, body)
			}
			for _, s := range tc.has {
				if !strings.Contains(body, s) {
					t.Errorf("export lacks %q", s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("export has %q", s)
				}
			}
			if code == 200 {
				recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, r := range recs {
					for _, c := range r {
						if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
							t.Errorf("cell %q starts like a formula", c)
						}
						found = found || c == guarded
					}
				}
				if want := tc.user == "qu"; found != want {
					t.Errorf("P2's formula name unmasked and guarded (%q) in the export: %v, want %v", guarded, found, want)
				}
			}
		})
	}
	qu := e.signIn("qu")
	t.Run("default export stays masked", func(t *testing.T) {
		_, body := qu.get("/leads/export.csv")
		if strings.Contains(body, hostileName) || strings.Contains(body, hostileName2) {
			t.Fatal("the GET export is not masked")
		}
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		code, body, _ := qu.do("POST", "/leads/export.csv", url.Values{"reason": {"x"}})
		if code != http.StatusForbidden || strings.Contains(body, hostileName) {
			t.Fatalf("POST without CSRF: %d", code)
		}
	})
	t.Run("audit log", func(t *testing.T) {
		es, err := e.st.AuditLog(ctx, auth.Scope{User: "qu", Role: auth.District}, "export_unmasked", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 { // the two allowed exports, nothing for the refused ones
			t.Fatalf("%d export_unmasked entries, want 2: %+v", len(es), es)
		}
		z, q := es[0], es[1] // newest first
		if z.Actor != "zhen1" || z.Note != "镇纪委约谈" || z.After["filter"] != "town="+T1 || z.After["format"] != "csv" || z.After["rows"] != float64(1) {
			t.Errorf("zhen1's entry: %+v", z)
		}
		if q.Actor != "qu" || q.Note != "核查王某线索需联系当事人" || q.After["rows"] != float64(2) || q.At.IsZero() {
			t.Errorf("qu's entry: %+v", q)
		}
		_, page := qu.get("/admin/audit")
		if !strings.Contains(page, "导出未脱敏数据") {
			t.Error("the audit page does not name the unmasked export")
		}
	})
	t.Run("queue offers the form to those who may reveal", func(t *testing.T) {
		for user, want := range map[string]bool{"qu": true, "zhen1": true, "ld": false, "xx1": false} {
			_, page := e.signIn(user).get("/leads")
			if got := strings.Contains(page, `id="export-unmasked"`); got != want {
				t.Errorf("%s: form shown %v, want %v", user, got, want)
			}
		}
	})
}
