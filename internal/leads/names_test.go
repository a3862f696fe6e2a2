package leads

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestNamesJSON checks namesJSON against encoding/json on names it writes
// verbatim and names it must escape.
func TestNamesJSON(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
	}{
		{"none", []string{}},
		{"one", []string{"王建国"}},
		{"register", []string{"Tom", "王建国", "阿依古丽·买买提", "李会"}},
		{"html", []string{"<b>", "A&B", "x>y"}},
		{"quotes_backslash", []string{`"引号"`, `a\b`}},
		{"control", []string{"a\tb", "a\nb", "\x00", "\x1f", "\x7f"}},
		{"line_separators", []string{"a\u2028b", "a\u2029b"}},
		{"invalid_utf8", []string{"\xe5\xbc", "\xff", "ok\xc3"}},
		{"replacement_char", []string{"\ufffd"}},
		{"empty_name", []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.MarshalIndent(tc.names, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			got, err := namesJSON(tc.names)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("namesJSON = %q, want %q", got, want)
			}
		})
	}
}

// BenchmarkNamesJSON reports ns per name of names.json for 200,000
// register names.
func BenchmarkNamesJSON(b *testing.B) {
	chars := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗建国芳静强明")
	names := make([]string, 200_000)
	for i := range names {
		names[i] = string([]rune{chars[i%len(chars)], chars[(i/7)%len(chars)], chars[(i/49)%len(chars)]})
	}
	for b.Loop() {
		if _, err := namesJSON(names); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(names)), "ns/row")
}
