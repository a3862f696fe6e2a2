package source

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// rowReader yields a file's rows with their source line (CSV) or row
// (xlsx) numbers, decoded to UTF-8.
type rowReader interface {
	next() (line int, cells []string, err error) // io.EOF at the end
	close() error
}

// Encodings.
const (
	encUTF8    = "utf-8"
	encUTF8BOM = "utf-8 (BOM)"
	encGB18030 = "gb18030"
)

func normEncoding(s string) (string, bool) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "", "auto":
		return "", true
	case "utf-8", "utf8":
		return encUTF8, true
	case "gb18030", "gbk", "gb2312", "cp936":
		return encGB18030, true
	}
	return "", false
}

// DetectEncoding reads the whole file: valid UTF-8 (with or without BOM)
// is UTF-8; otherwise it must decode cleanly as GB18030 (which covers GBK
// and GB2312). The error names the first line that is neither.
func DetectEncoding(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	bom := false
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		bom = true
		br.Discard(3)
	}
	line := 1
	for {
		l, err := br.ReadSlice('\n')
		if len(l) > 0 && !utf8.Valid(l) {
			if bom {
				return "", fmt.Errorf("%s: starts with a UTF-8 BOM but line %d is not UTF-8", path, line)
			}
			return checkGB18030(path, line)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// a line longer than the buffer: check the rest of it too
			continue
		}
		line++
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if bom {
		return encUTF8BOM, nil
	}
	return encUTF8, nil
}

func checkGB18030(path string, notUTF8 int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReaderSize(transform.NewReader(f, simplifiedchinese.GB18030.NewDecoder()), 1<<16)
	line := 1
	for {
		l, err := br.ReadString('\n')
		if strings.ContainsRune(l, utf8.RuneError) {
			return "", fmt.Errorf("%s: neither UTF-8 (line %d is not) nor GB18030/GBK (line %d is not): save the file as UTF-8 or state its encoding: in the mapping", path, notUTF8, line)
		}
		line++
		if err == io.EOF {
			return encGB18030, nil
		}
		if err != nil {
			return "", err
		}
	}
}

type csvRows struct {
	f  *os.File
	cr *csv.Reader
}

// openCSV opens a CSV export in the stated or detected encoding, with the
// separator (comma, tab or semicolon) read from the first line.
func openCSV(path, encoding string) (*csvRows, string, error) {
	enc, _ := normEncoding(encoding)
	if enc == "" {
		var err error
		if enc, err = DetectEncoding(path); err != nil {
			return nil, "", err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	var r io.Reader = f
	if enc == encGB18030 {
		r = transform.NewReader(f, simplifiedchinese.GB18030.NewDecoder())
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		if enc == encUTF8 {
			enc = encUTF8BOM
		}
	}
	first, _ := br.Peek(4096)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	best := 0
	for _, sep := range []rune{',', '\t', ';'} {
		if n := bytes.Count(first, []byte(string(sep))); n > best {
			best, cr.Comma = n, sep
		}
	}
	return &csvRows{f: f, cr: cr}, enc, nil
}

func (c *csvRows) next() (int, []string, error) {
	rec, err := c.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, nil, err
		}
		return 0, nil, err
	}
	line, _ := c.cr.FieldPos(0)
	if len(rec) > MaxColumns {
		return line, nil, fmt.Errorf("%d columns; at most %d are read", len(rec), MaxColumns)
	}
	return line, rec, nil
}

func (c *csvRows) close() error { return c.f.Close() }

type xlsxRows struct {
	f     *excelize.File
	rows  *excelize.Rows
	row   int
	cells int        // read so far, against MaxXLSXCells
	sys   dateSystem // workbookPr date1904
}

// openXLSX opens a sheet (the first when sheet is "") and reports the
// workbook's sheets.
func openXLSX(path, sheet string) (*xlsxRows, string, []string, error) {
	f, err := openWorkbook(path)
	if err != nil {
		return nil, "", nil, err
	}
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			f.Close()
			return nil, "", nil, fmt.Errorf("%s: the workbook has no sheets", path)
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		f.Close()
		return nil, "", sheets, fmt.Errorf("%s: no sheet %q (sheets: %s)", path, sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, "", sheets, fmt.Errorf("%s: sheet %s: %w", path, sheet, err)
	}
	x := &xlsxRows{f: f, rows: rows}
	// A workbook saved in the 1904 date system (Mac Excel) stores every
	// date 1462 days lower: read the flag, or its dates come out four
	// years and a day early without any error.
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		x.sys = date1904
	}
	return x, sheet, sheets, nil
}

func (x *xlsxRows) next() (int, []string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return 0, nil, err
		}
		return 0, nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err == nil {
		if len(cells) > MaxColumns {
			return x.row, nil, fmt.Errorf("row %d has %d columns; at most %d are read", x.row, len(cells), MaxColumns)
		}
		if x.cells += len(cells); x.cells > MaxXLSXCells {
			return x.row, nil, fmt.Errorf("row %d: the sheet has more than %d cells; at most that many are read (use CSV for larger exports)", x.row, MaxXLSXCells)
		}
	}
	return x.row, cells, err
}

func (x *xlsxRows) close() error {
	x.rows.Close()
	return x.f.Close()
}

// errXLS is why an Excel 97-2003 workbook is refused: no maintained pure-Go
// reader of the BIFF format exists (github.com/extrame/xls and its forks
// have been unmaintained for years), and a half-read workbook is worse than
// a clear request to re-save it.
const errXLS = "an Excel 97-2003 (.xls) workbook cannot be read: open it in Excel or WPS and save it as .xlsx (另存为 → Excel 工作簿 *.xlsx), then point the mapping at the .xlsx"

// ole2Magic starts every Compound File (the container of .xls, .doc and
// .et files), whatever the file is named.
var ole2Magic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// checkFormat refuses files xiaowei cannot read, before any reader gets
// them: an .xls workbook (by name or by content, since old finance software
// also writes .xls content under .xlsx or .csv names) would otherwise read
// as a broken zip or a text file in an unknown encoding.
func checkFormat(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(ole2Magic))
	n, _ := io.ReadFull(f, head)
	if bytes.Equal(head[:n], ole2Magic) {
		return fmt.Errorf("%s: %s: %w", path, errXLS, ErrFormat)
	}
	if strings.EqualFold(filepath.Ext(path), ".xls") {
		return fmt.Errorf("%s: named .xls but not an Excel 97-2003 workbook either; %s: %w", path, errXLS, ErrFormat)
	}
	return nil
}

func isXLSX(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return true
	}
	return false
}

// colLetter is Excel's column name for a 0-based index: 0 → A, 26 → AA.
func colLetter(i int) string {
	s, _ := excelize.ColumnNumberToName(i + 1)
	return s
}
