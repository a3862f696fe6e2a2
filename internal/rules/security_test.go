package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesOnlyFromConfiguredFolders: a rule folder cannot pull in files
// from elsewhere: there is no include directive (an `include:` key is an
// unknown field), and a symbolic link to a file outside is refused.
func TestRulesOnlyFromConfiguredFolders(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte("rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("include: ../secret.yaml\nrules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDirs([]string{dir})
	if err == nil || !strings.Contains(err.Error(), "include") {
		t.Errorf("an include key was accepted: %v", err)
	}

	dir = t.TempDir()
	if err := os.Symlink(secret, filepath.Join(dir, "local.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDirs([]string{dir})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symlink out of the rules folder was followed: %v", err)
	}
}
