package pgtest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The server is shared by every test binary that go test runs at once, so
// "who may use it" is a file lock (flock) on one well-known file: database
// tests hold it shared, a test that restarts the server holds it
// exclusive. flock locks belong to open files, not processes, so this also
// orders tests inside one binary — which is why an exclusive holder must be
// a sequential test (no t.Parallel): go test pauses parallel tests while a
// sequential one runs, so none of its own process's shared holders can be
// live, and it never waits on itself.
var lockPath = filepath.Join(os.TempDir(), "xiaowei-pgtest.lock")

// holdServer takes the server for the rest of the test: shared, or
// exclusive. It never fails a test: without the lock file, tests still run,
// only unsynchronised.
func holdServer(t testing.TB, exclusive bool) {
	t.Helper()
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o666)
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err == nil {
		if err = syscall.Flock(int(f.Fd()), how); err != nil {
			f.Close()
			f = nil
		}
	}
	if err != nil {
		t.Logf("pgtest: running without the server lock %s: %v", lockPath, err)
	}
	t.Cleanup(func() {
		if f != nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}
	})
}
