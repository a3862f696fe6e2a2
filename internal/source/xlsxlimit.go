package source

import (
	"archive/zip"
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/load"
)

// Limits on what an xlsx workbook may unpack to. An xlsx is a zip: 1 MB on
// disk can hold shared strings that unpack to 320 MB, which made
// `inspect` parse for five minutes (deaf to SIGTERM: excelize reads the
// parts before returning) and `run --mapping` take 28 s and 500 MB. The
// declared sizes are checked before excelize opens the file; archive/zip
// refuses a part that unpacks to more than it declares, so they cannot
// lie. Real exports are far below: the largest district export seen
// (21,032 payment rows) unpacks to ~12 MB.
const (
	MaxXLSXUnpacked = 256 << 20       // all parts together
	MaxXLSXPart     = 128 << 20       // any one part (a sheet, the shared strings)
	MaxXLSXCells    = 20_000_000      // cells read from one sheet
	MaxColumns      = load.MaxColumns // columns in a header or row
)

// checkXLSXSize refuses a workbook whose parts declare more than the
// limits, naming the part.
func checkXLSXSize(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil // not a zip: excelize says what it is not
	}
	defer z.Close()
	var total uint64
	for _, f := range z.File {
		if f.UncompressedSize64 > MaxXLSXPart {
			return fmt.Errorf("%s: part %s unpacks to %d bytes; at most %d are read (a decompression bomb, or an export too large for xlsx: use CSV)",
				path, f.Name, f.UncompressedSize64, MaxXLSXPart)
		}
		total += f.UncompressedSize64
		if total > MaxXLSXUnpacked {
			return fmt.Errorf("%s: the workbook unpacks to more than %d bytes (a decompression bomb, or an export too large for xlsx: use CSV)",
				path, MaxXLSXUnpacked)
		}
	}
	return nil
}

// openWorkbook opens an xlsx within the limits.
func openWorkbook(path string) (*excelize.File, error) {
	if err := checkXLSXSize(path); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: MaxXLSXUnpacked})
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable xlsx workbook: %w", path, err)
	}
	return f, nil
}
