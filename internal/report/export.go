package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/neijiang/xiaowei/internal/csvguard"
	"github.com/neijiang/xiaowei/internal/dispose"
	"github.com/neijiang/xiaowei/internal/findings"
	"github.com/neijiang/xiaowei/internal/mask"
)

// LeadHeader and FindingHeader are the Chinese column headers of the
// exports.
var (
	LeadHeader    = []string{"排名", "线索编号", "对象类型", "姓名", "身份证号", "职务", "镇（街道）", "村（社区）", "村代码", "最高严重程度", "得分", "涉及金额（元）", "已核实", "问题类别", "触发规则", "发现数", "需核实事项", "村级责任人"}
	FindingHeader = []string{"发现编号", "规则", "问题", "类别", "严重程度", "镇（街道）", "村（社区）", "村代码", "对象", "期间", "金额（元）", "说明", "责任人身份证号", "处置", "处置理由", "线索编号"}
)

// Rows returns the lead and finding rows of the exports, masked by m.
func Rows(d *Data, m *mask.Masker) (leadRows, findingRows [][]string) {
	leadOf := map[string]string{}
	for _, l := range d.Leads {
		for _, id := range l.FindingIDs {
			leadOf[id] = l.LeadID
		}
		kind, name, pid, role := "个人", "", "", ""
		var contacts []string
		if l.Person != nil {
			name, pid, role = m.Name(l.Person.Name), m.ID(l.Person.PersonID), l.Person.RoleLabel
		} else {
			kind = "村"
			for _, c := range l.Contacts {
				contacts = append(contacts, c.RoleLabel+" "+m.Name(c.Name))
			}
		}
		var fams, rs []string
		for _, f := range l.Families {
			fams = append(fams, famLabel(f))
		}
		for _, r := range l.Rules {
			rs = append(rs, fmt.Sprintf("%s %s（%d）", r.RuleID, r.Title, r.Findings))
		}
		var verify []string
		for i, v := range l.Verify {
			verify = append(verify, fmt.Sprintf("%d. %s", i+1, m.Text(v)))
		}
		confirmed := ""
		if l.Confirmed {
			confirmed = "是"
		}
		leadRows = append(leadRows, []string{fmt.Sprint(l.Rank), l.LeadID, kind, name, pid, role, l.TownName, l.VillageName, l.VillageID,
			sevLabel(l.Severity), fmt.Sprintf("%.1f", l.Score), plain(l.Amount), confirmed, strings.Join(fams, "、"), strings.Join(rs, "；"),
			fmt.Sprint(len(l.FindingIDs)), strings.Join(verify, "\n"), strings.Join(contacts, "、")})
	}
	for _, f := range d.Findings {
		pl := d.Places[f.VillageID]
		disp, reason := "", ""
		if f.Disposition != "" {
			disp = dispose.Labels[f.Disposition]
			if d.Dispositions != nil {
				reason = m.Text(d.Dispositions.Findings[f.FindingID].Reason)
			}
		}
		findingRows = append(findingRows, []string{f.FindingID, f.RuleID, f.Title, famLabel(f.Family), sevLabel(f.Severity), pl.TownName, pl.VillageName, f.VillageID,
			m.Text(f.Subject), m.Text(f.Period), plain(f.Amount), m.Text(f.Message), m.ID(f.Responsible), disp, reason, leadOf[f.FindingID]})
	}
	return leadRows, findingRows
}

func plain(a *findings.Amount) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// CSV encodes rows with a header as UTF-8 with a byte-order mark, so that
// Excel on Chinese Windows opens it with the right encoding. Cells that a
// spreadsheet would run as formulas are prefixed with a quote (csvguard).
func CSV(header []string, rows [][]string) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write(csvguard.Row(append([]string(nil), header...)))
	for _, r := range rows {
		w.Write(csvguard.Row(append([]string(nil), r...)))
	}
	w.Flush()
	return buf.Bytes()
}

// XLSX writes a workbook with the sheets 问题线索 and 发现明细.
func XLSX(d *Data, m *mask.Masker) ([]byte, error) {
	lr, fr := Rows(d, m)
	x := excelize.NewFile()
	defer x.Close()
	sheets := []xlsxSheet{
		{"问题线索", LeadHeader, lr, map[int]float64{2: 20, 5: 22, 15: 40, 17: 60, 18: 30}, map[int]bool{1: true, 11: true, 12: true, 16: true}},
		{"发现明细", FindingHeader, fr, map[int]float64{1: 34, 3: 24, 9: 34, 12: 60, 13: 22, 16: 20}, map[int]bool{11: true}},
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"#E8EEF5"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	for i, s := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", s.name); err != nil {
				return nil, err
			}
		} else if _, err := x.NewSheet(s.name); err != nil {
			return nil, err
		}
		if err := writeSheet(x, s, bold, wrap); err != nil {
			return nil, err
		}
	}
	x.SetActiveSheet(0)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// xlsxSheet is one sheet of the export: its rows, column widths (by
// 1-based column; others 14) and the columns written as numbers.
type xlsxSheet struct {
	name   string
	header []string
	rows   [][]string
	widths map[int]float64
	nums   map[int]bool
}

// writeSheet streams a sheet: widths, a frozen bold header, the rows
// (wrapped; number columns as numbers) and an auto-filter.
func writeSheet(x *excelize.File, s xlsxSheet, bold, wrap int) error {
	sw, err := x.NewStreamWriter(s.name)
	if err != nil {
		return err
	}
	for col := 1; col <= len(s.header); col++ {
		w := 14.0
		if v, ok := s.widths[col]; ok {
			w = v
		}
		if err := sw.SetColWidth(col, col, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := make([]any, len(s.header))
	for j, h := range s.header {
		hdr[j] = excelize.Cell{Value: h, StyleID: bold}
	}
	if err := sw.SetRow("A1", hdr, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	for r, row := range s.rows {
		cells := make([]any, len(row))
		for j, c := range row {
			var v any = c
			if s.nums[j+1] && c != "" {
				var f float64
				if _, err := fmt.Sscanf(c, "%g", &f); err == nil {
					v = f
				}
			}
			cells[j] = excelize.Cell{Value: v, StyleID: wrap}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(s.rows) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(s.header), len(s.rows)+1)
		if err := x.AutoFilter(s.name, "A1:"+last, nil); err != nil {
			return err
		}
	}
	return nil
}
