package load

import (
	"context"
	"strings"
	"testing"

	"github.com/neijiang/xiaowei/internal/contract"
)

// TestLoadRecords: converted rows go through the same validation as CSV;
// conversion errors and row errors are rejects; raw values are reported;
// Read = Loaded + Rejected.
func TestLoadRecords(t *testing.T) {
	spec, _ := contract.Lookup("villages")
	header := []string{"village_id", "village_name", "town_id", "town_name", "county_id", "county_name"}
	recs := []Record{
		{Line: 3, Fields: []string{"511002103201", "梅堂湾村", "511002103", "朝阳镇", "511002", "市中区"}},
		{Line: 4, Fields: []string{"", "红牌坊村", "511002104", "永安镇", "511002", "市中区"}, Raw: []string{"  ", "红牌坊村", "", "", "", ""}},
		{Line: 5, Fields: []string{"511002105201", "X村", "", "", "511002", ""}, Bad: []CellError{{Column: "town_id", Value: "5.11E+8", Reason: "digits lost"}}},
		{Line: 6, RowErr: "malformed"},
		{Line: 7, Fields: []string{"511002103201", "梅堂湾村", "511002103", "", "511002", ""}},
	}
	i := 0
	next := func() (Record, bool, error) {
		if i == len(recs) {
			return Record{}, false, nil
		}
		i++
		return recs[i-1], true, nil
	}
	tbl, st, rejects, err := Records(context.Background(), spec, "v.xlsx", header, next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if st.Read != 5 || st.Loaded != 1 || st.Rejected != 4 || tbl.Len() != 1 {
		t.Fatalf("stats %+v, len %d", st, tbl.Len())
	}
	var got []string
	for _, r := range rejects {
		got = append(got, strings.Join([]string{r.File, string(rune('0' + r.Line)), r.Column, r.Value, r.Reason}, "|"))
	}
	want := []string{
		"v.xlsx|4|village_id|  |required value is empty",
		"v.xlsx|5|town_id|5.11E+8|digits lost",
		"v.xlsx|6|||malformed",
		"v.xlsx|7|village_id|511002103201|duplicate key village_id=511002103201, first on line 3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
