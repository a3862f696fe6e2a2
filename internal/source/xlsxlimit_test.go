package source

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// bomb writes a workbook whose part name unpacks to size bytes of
// repeated text but is small on disk (deflate packs it ~1000:1).
func bomb(t *testing.T, part string, size int) string {
	t.Helper()
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"entry_id", "amount"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"E1", "100.00"})
	var good bytes.Buffer
	if err := x.Write(&good); err != nil {
		t.Fatal(err)
	}
	x.Close()
	zr, err := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, e := range zr.File {
		if e.Name == part {
			continue
		}
		w, _ := zw.Create(e.Name)
		r, _ := e.Open()
		io.Copy(w, r)
		r.Close()
	}
	w, err := zw.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`))
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk)
	}
	w.Write([]byte(`</t></si></sst>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// TestXLSXDecompressionBomb: a workbook small on disk whose shared strings
// unpack beyond the limit is refused at once, by inspect and by a mapped
// load alike, naming the part; it is never parsed.
func TestXLSXDecompressionBomb(t *testing.T) {
	path := bomb(t, "xl/sharedStrings.xml", MaxXLSXPart+1<<20)
	if fi, _ := os.Stat(path); fi.Size() > 1<<20 {
		t.Fatalf("bomb is %d bytes on disk", fi.Size())
	}
	want := "part xl/sharedStrings.xml unpacks to 135266435 bytes; at most 134217728 are read"
	for _, c := range []struct {
		name string
		do   func() error
	}{
		{"inspect", func() error {
			return Inspect(context.Background(), io.Discard, path, InspectOptions{})
		}},
		{"open for a mapped load", func() error {
			_, _, _, err := openXLSX(path, "")
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			err := c.do()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestXLSXCellLimits: a sheet wider than MaxColumns is refused at the
// first such row, naming it.
func TestXLSXCellLimits(t *testing.T) {
	x := excelize.NewFile()
	row := make([]any, MaxColumns+1)
	for i := range row {
		row[i] = "c"
	}
	x.SetSheetRow("Sheet1", "A1", &row)
	path := filepath.Join(t.TempDir(), "wide.xlsx")
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	x.Close()
	rr, _, _, err := openXLSX(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rr.close()
	_, _, err = rr.next()
	if err == nil || err.Error() != "row 1 has 1025 columns; at most 1024 are read" {
		t.Errorf("err = %v", err)
	}
}

// TestCSVTooManyColumns: a source CSV of 10,000 columns is refused at its
// first line, before rows are read.
func TestCSVTooManyColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.csv")
	line := strings.Repeat("a,", 9999) + "a\n"
	if err := os.WriteFile(path, []byte(strings.Repeat(line, 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err := Inspect(context.Background(), &b, path, InspectOptions{Table: "ledger"})
	if msg := fmt.Sprint(err) + b.String(); !strings.Contains(msg, "line 1: 10000 columns; at most 1024 are read") {
		t.Errorf("inspect said %v\n%s", err, b.String())
	}
}

// TestInspectCancelled: inspect stops when its context is cancelled
// (SIGTERM), also while walking a workbook's sheets.
func TestInspectCancelled(t *testing.T) {
	x := excelize.NewFile()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= 5000; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		sw.SetRow(cell, []any{"E1", "100.00"})
	}
	sw.Flush()
	path := filepath.Join(t.TempDir(), "long.xlsx")
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	x.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Inspect(ctx, io.Discard, path, InspectOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
