package gen

import "strconv"

// geo is where a village sits in the statistical division tree.
type geo struct {
	villageID, villageName string
	townID, townName       string
	countyID, countyName   string
	local                  int // index of the village inside its county (< villagesPerCounty)
}

// villagesPerCounty keeps county-level ID sequence numbers unique: the
// 3-digit sequence code of an ID number is derived from this local index
// (see personID), so no county may hold more than 166 villages.
const villagesPerCounty = 150

type town struct{ id, name string }

// shizhongTowns are the real 9-digit codes of Shizhong district (domain.md).
var shizhongTowns = []town{
	{"511002001", "城东街道"}, {"511002003", "城西街道"}, {"511002004", "玉溪街道"},
	{"511002005", "牌楼街道"}, {"511002007", "乐贤街道"}, {"511002100", "白马镇"},
	{"511002101", "史家镇"}, {"511002102", "凌家镇"}, {"511002103", "朝阳镇"},
	{"511002104", "永安镇"}, {"511002105", "全安镇"}, {"511002111", "龙门镇"},
}

// fixtureVillages are the first villages of every run: the fixture's 20.
// Only 牛桥村 (204), 红牌坊村 and 梅堂湾村 are named in the district's own
// account; the other names and 3-digit suffixes are plausible, not official.
var fixtureVillages = []struct {
	town   int // index into shizhongTowns
	suffix string
	name   string
}{
	{6, "204", "牛桥村"}, {6, "201", "史家村"}, {6, "202", "高石村"}, {6, "203", "黄桷村"}, {6, "205", "石燕村"}, {6, "206", "大坡村"},
	{2, "001", "玉溪社区"}, {2, "002", "五里店社区"}, {2, "201", "桂湖村"}, {2, "202", "新桥村"},
	{9, "201", "红牌坊村"}, {9, "202", "永安村"}, {9, "203", "尖山村"}, {9, "204", "大佛寺村"}, {9, "205", "石河村"},
	{8, "201", "梅堂湾村"}, {8, "202", "朝阳村"}, {8, "203", "金鹅村"}, {8, "204", "双河村"}, {8, "205", "龙凤村"},
}

var placeA = []string{"黄", "石", "白", "龙", "凤", "金", "银", "桂", "竹", "松", "柏", "梅", "桃", "杨", "柳", "青", "红", "新", "高", "双", "三", "五", "马", "牛", "鹤", "鹿", "清", "安", "永", "太"}
var placeB = []string{"桥", "湾", "坝", "沟", "坪", "岭", "山", "河", "塘", "井", "寺", "坡", "冲", "林", "田", "溪", "岩", "庙", "口", "场"}

func placeName(n int, suffix string) string {
	return placeA[n%len(placeA)] + placeB[(n/len(placeA))%len(placeB)] + suffix
}

// pad appends v zero-padded to width digits, without allocating.
func pad(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// geoFor places village i. County 0 is Shizhong (511002): the 20 fixture
// villages first, then synthesized 3xx villages in its 12 real towns.
// Counties 1.. are synthesized, each with 10 towns of 15 villages.
func geoFor(i int) geo {
	c, local := i/villagesPerCounty, i%villagesPerCounty
	g := geo{local: local}
	if c == 0 {
		g.countyID, g.countyName = "511002", "市中区"
		var t town
		var suffix, name string
		if local < len(fixtureVillages) {
			fv := fixtureVillages[local]
			t, suffix, name = shizhongTowns[fv.town], fv.suffix, fv.name
		} else {
			k := local - len(fixtureVillages)
			t = shizhongTowns[k%len(shizhongTowns)]
			suffix = string(pad(nil, 300+k/len(shizhongTowns), 3))
			name = placeName(k*7+3, "村")
		}
		g.townID, g.townName = t.id, t.name
		g.villageID, g.villageName = t.id+suffix, name
		return g
	}
	j := c - 1
	b := pad(nil, 51+j/(70*90), 2)
	b = pad(b, 20+(j/90)%70, 2)
	b = pad(b, 1+j%90, 2)
	g.countyID = string(b)
	g.countyName = placeName(j*13+5, "县")
	t := local / 15
	g.townID = g.countyID + string(pad(nil, 100+t, 3))
	g.townName = placeName(j*31+t*3+1, "镇")
	g.villageID = g.townID + string(pad(nil, 200+local%15, 3))
	g.villageName = placeName(j*17+local*11+2, "村")
	return g
}
