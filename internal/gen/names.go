package gen

import (
	"math/rand/v2"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/ident"
)

var surnames = []string{"张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "钟", "谭", "廖", "范", "石", "邹", "熊", "邱", "江", "雷", "龙", "史", "陶", "贺", "毛", "龚", "万", "严", "向", "汤"}
var maleGiven = []string{"国", "华", "建", "明", "军", "平", "伟", "强", "志", "勇", "文", "德", "福", "贵", "成", "林", "海", "洪", "清", "中", "兴", "富", "才", "全", "友", "光", "春", "东", "世", "学", "云", "永", "顺", "祥", "荣", "刚", "斌", "波", "杰", "涛"}
var femaleGiven = []string{"秀", "英", "华", "兰", "芳", "琼", "玉", "珍", "凤", "素", "淑", "群", "碧", "翠", "蓉", "霞", "红", "丽", "梅", "莉", "燕", "娟", "敏", "静", "婷", "琴", "慧", "萍", "艳", "菊"}

func personName(r *rand.Rand, surname string, male bool) string {
	g := femaleGiven
	if male {
		g = maleGiven
	}
	n := surname + g[r.IntN(len(g))]
	if r.IntN(3) != 0 {
		n += g[r.IntN(len(g))]
	}
	return n
}

// checkDigit is GB 11643's check character of the first 17 (all digits
// here: gen builds them).
func checkDigit(first17 []byte) byte {
	c, _ := ident.CheckDigit(first17)
	return c
}

// personID builds a valid 18-character ID: county code, birth date, a
// sequence code unique within the county (local village index * 3 + the
// per-village, per-birthday counter, doubled, odd for men), check digit.
func personID(county string, birth civil.Date, local, counter int, male bool) string {
	b := make([]byte, 0, 18)
	b = append(b, county...)
	y, m, d := birth.YMD()
	b = pad(b, y, 4)
	b = pad(b, int(m), 2)
	b = pad(b, d, 2)
	seq := (local*3 + counter) * 2
	if male {
		seq++
	}
	b = pad(b, seq, 3)
	b = append(b, checkDigit(b))
	return string(b)
}
