package run

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestRemoveStaleTempsOnlyOwnFiles: run --out may name the user's own
// folder; cleanup removes only the temporary files xiaowei itself made,
// never a user's file that merely looks temporary.
func TestRemoveStaleTempsOnlyOwnFiles(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		removed bool
	}{
		{".xiaowei-tmp-findings.jsonl.123456789", true},
		{".xiaowei-tmp-summary.json.42", true},
		{".notes.tmp-1", false},                    // the old pattern: a user's file
		{".report.docx.tmp-abc", false},            // ditto
		{".xiaowei-tmp-findings.jsonl.abc", false}, // not CreateTemp's digits
		{".xiaowei-tmp-", false},
		{"findings.jsonl", false},
		{"我的笔记.txt", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, c.name), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	// a folder with the owned prefix is not a file this program wrote
	if err := os.Mkdir(filepath.Join(dir, ".xiaowei-tmp-dir.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	// a temp file left by an interrupted WriteFileAtomic has the owned shape
	f, err := os.CreateTemp(dir, tempPrefix+"leads.jsonl.*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	RemoveStaleTemps(dir)
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	sort.Strings(left)
	want := []string{".notes.tmp-1", ".report.docx.tmp-abc", ".xiaowei-tmp-", ".xiaowei-tmp-dir.1", ".xiaowei-tmp-findings.jsonl.abc", "findings.jsonl", "我的笔记.txt"}
	if len(left) != len(want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	for i := range want {
		if left[i] != want[i] {
			t.Fatalf("left %q, want %q", left, want)
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "findings.jsonl"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "findings.jsonl")); string(b) != "new" {
		t.Errorf("findings.jsonl = %q", b)
	}
}
