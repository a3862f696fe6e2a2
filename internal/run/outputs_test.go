package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/load"
)

// TestWriteOutputs checks that every output is written whole and no
// temporary file is left, and that when one cannot be written none is
// renamed into place (the folder keeps no half a run).
func TestWriteOutputs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		extra   map[string][]byte
		wantErr bool
	}{
		{"all written", map[string][]byte{"leads.jsonl": []byte("{}\n"), "names.json": []byte("[]\n")}, false},
		{"one cannot be", map[string][]byte{"leads.jsonl": []byte("{}\n"), "missing/names.json": []byte("[]\n")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := &Outcome{Dataset: &load.Dataset{}, Extra: tc.extra}
			err := WriteOutputs(dir, out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tc.wantErr)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
				if strings.HasPrefix(e.Name(), tempPrefix) {
					t.Errorf("temporary file %s left", e.Name())
				}
			}
			if tc.wantErr {
				if len(names) != 0 {
					t.Errorf("files %v in the folder after a failed write", names)
				}
				return
			}
			want := "findings.jsonl leads.jsonl manifest.json names.json rejected.csv summary.json"
			if got := strings.Join(names, " "); got != want {
				t.Errorf("files %q, want %q", got, want)
			}
			for name, data := range tc.extra {
				if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != string(data) {
					t.Errorf("%s = %q, want %q", name, got, data)
				}
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "summary.json")); string(got) != "null\n" {
				t.Errorf("summary.json = %q", got)
			}
		})
	}
}
