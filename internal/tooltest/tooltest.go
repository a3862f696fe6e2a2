// Package tooltest finds the external checkers some tests run (promtool,
// systemd-analyze). Like pgtest, a missing tool skips a test on a developer's
// machine and fails it under CI=true, where .ci/run installs it: CI must not
// pass by skipping.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the named program, or skips (fails under
// CI=true) when it is not on PATH; pkg is the Debian package that has it.
func Require(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found and CI=true: .ci/run installs the Debian package %s", name, pkg)
		}
		t.Skipf("%s not found (apt-get install %s); CI=true makes this a failure", name, pkg)
	}
	return p
}
