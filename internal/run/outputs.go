package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"

	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/load"
	"github.com/neijiang/xiaowei/internal/mask"
)

// WriteOutputs writes every output file atomically: findings.jsonl,
// rejected.csv, the extra files by name, then summary.json and
// manifest.json. The files are written and synced side by side (each
// fsync waits on the disk, not the CPU), then renamed into place one by
// one in that order, as before: a reader waiting for the manifest sees
// every other file first.
func WriteOutputs(dir string, out *Outcome) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	RemoveStaleTemps(dir)
	files, err := outputFiles(out)
	if err != nil {
		return err
	}
	tmps := make([]string, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() { tmps[i], errs[i] = stageFile(filepath.Join(dir, f.name), f.data) })
	}
	wg.Wait()
	err = errors.Join(errs...)
	for i, f := range files {
		if tmps[i] == "" {
			continue
		}
		if err == nil {
			if rerr := os.Rename(tmps[i], filepath.Join(dir, f.name)); rerr != nil {
				err = fmt.Errorf("write %s: %w", f.name, rerr)
			}
		}
		if err != nil {
			os.Remove(tmps[i])
		}
	}
	return err
}

type outputFile struct {
	name string
	data []byte
}

// outputFiles are the contents of a run's output files, in write order.
func outputFiles(out *Outcome) ([]outputFile, error) {
	var buf bytes.Buffer
	if err := findings.WriteJSONL(&buf, out.Findings); err != nil {
		return nil, err
	}
	rejects, err := RejectsCSV(out.Dataset)
	if err != nil {
		return nil, err
	}
	files := []outputFile{{"findings.jsonl", buf.Bytes()}, {"rejected.csv", rejects}}
	for _, name := range slices.Sorted(maps.Keys(out.Extra)) {
		files = append(files, outputFile{name, out.Extra[name]})
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"summary.json", out.Summary}, {"manifest.json", out.Manifest}} {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, err
		}
		files = append(files, outputFile{f.name, append(b, '\n')})
	}
	return files, nil
}

func writeRejects(dir string, ds *load.Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	b, err := RejectsCSV(ds)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "rejected.csv"), b)
}

// RejectsCSV is rejected.csv for a dataset: personal data masked (the
// register's names are learned first), cells guarded against formulas.
func RejectsCSV(ds *load.Dataset) ([]byte, error) {
	var buf bytes.Buffer
	rejects := ds.Rejects
	if len(rejects) > 0 {
		// learning the register's names is costly; a clean load has no
		// values to mask
		m := mask.New(false)
		m.LearnAll(ds.PersonNames())
		rejects = load.MaskRejects(rejects, m)
	}
	if err := load.WriteRejects(&buf, rejects); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tempPrefix starts the name of every temporary file xiaowei writes. The
// folder is the user's (run --out may name an existing one), so cleanup
// must only ever touch names this program made: a prefix no other program
// uses, the output's name, and CreateTemp's all-digit random suffix.
const tempPrefix = ".xiaowei-tmp-"

// ownTemp matches tempPrefix + <output name> + "." + CreateTemp's digits.
var ownTemp = regexp.MustCompile(`^` + regexp.QuoteMeta(tempPrefix) + `[^/]+\.[0-9]+$`)

// RemoveStaleTemps deletes the temporary files a killed run left in dir
// (regular files named by WriteFileAtomic, nothing else); WriteOutputs
// calls it first, so they never pile up. Errors are ignored: a leftover
// temp file is harmless, only untidy.
func RemoveStaleTemps(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	for _, p := range stale {
		if !ownTemp.MatchString(filepath.Base(p)) {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// WriteFileAtomic writes to a temporary file in the same folder, syncs it
// and renames it over the target, so a reader (or a killed run) never sees
// half a file: the old one stays until the new one is complete.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := stageFile(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// stageFile writes data to a synced temporary file beside path, for a
// rename over it; on error no temporary file is left.
func stageFile(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return f.Name(), nil
}

// strictFailure ends a --strict run that saw rejected rows: rejected.csv is
// written (so the person sees which rows) and the run fails.
func strictFailure(dir string, ds *load.Dataset) error {
	if err := writeRejects(dir, ds); err != nil {
		return err
	}
	n := 0
	for _, st := range ds.Stats {
		n += st.Rejected
	}
	return &StrictError{Rejected: n}
}
