package ident

import "testing"

const id = "51100219400101001X"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		k        Kind
		want     string
		changed  bool
		describe string
	}{
		{"plain_id", id, Person, id, false, ""},
		{"zero_width_space_appended", id + "\u200b", Person, id, true, "不可见字符零宽空格(U+200B)×1"},
		{"bom_and_zwj_inside", "\ufeff5110021940\u200d0101001X", Person, id, true, "不可见字符BOM(U+FEFF)×1、不可见字符零宽连接符(U+200D)×1"},
		{"soft_hyphen", "511002\u00ad19400101001X", Person, id, true, "不可见字符软连字符(U+00AD)×1"},
		{"bidi_marks", "\u202d51100219400101001X\u202c", Person, id, true, "不可见字符双向控制符(U+202D)×1、不可见字符双向控制符(U+202C)×1"},
		{"full_width_digits", "５１１００２１９４００１０１００１Ｘ", Person, id, true, "全角字符×18"},
		{"leading_space", " " + id, Person, id, true, "空格×1"},
		{"ideographic_space", id + "\u3000", Person, id, true, "空白字符(U+3000)×1"},
		{"tab_inside", "511002\t19400101001X", Person, id, true, "空白字符(U+0009)×1"},
		{"lower_x", "51100219400101001x", Person, id, true, "小写x×1"},
		{"lower_x_not_upcased_in_code", "tk-x1", Code, "tk-x1", false, ""},
		{"account_spaces_dashes", "6217 0000-0000 0001", Account, "6217000000000001", true, "空格×2、连字符×1"},
		{"account_full_width", "６２１７０００００００００００１", Account, "6217000000000001", true, "全角字符×16"},
		{"case_id_zero_width", "TK1\u200b", Code, "TK1", true, "不可见字符零宽空格(U+200B)×1"},
		{"name_plain", "张三", Name, "张三", false, ""},
		{"name_spaced", "张 三", Name, "张三", true, "空格×1"},
		{"name_ideographic_space", "张\u3000三", Name, "张三", true, "空白字符(U+3000)×1"},
		{"name_zero_width", "张\u200b三", Name, "张三", true, "不可见字符零宽空格(U+200B)×1"},
		{"name_minority_dot_kept", "买买提·艾力", Name, "买买提·艾力", false, ""},
		{"name_full_width_latin", "ＡＢ张", Name, "AB张", true, "全角字符×2"},
		// first-generation 15-digit numbers (check characters computed
		// independently): the GB 11643 example and others
		{"id15_gb_example", "110105491231002", Person, "11010519491231002X", true, "15位旧身份证号（已按GB 11643升为18位比对）"},
		{"id15_upgraded", "511002400101001", Person, "511002194001010019", true, "15位旧身份证号（已按GB 11643升为18位比对）"},
		{"id15_full_width", "５１１００２４００１０１００１", Person, "511002194001010019", true, "全角字符×15、15位旧身份证号（已按GB 11643升为18位比对）"},
		{"id15_zero_width", "511002400101001\u200b", Person, "511002194001010019", true, "不可见字符零宽空格(U+200B)×1、15位旧身份证号（已按GB 11643升为18位比对）"},
		{"id15_leap_day_1948", "511002480229001", Person, "511002194802290014", true, "15位旧身份证号（已按GB 11643升为18位比对）"},
		{"id15_bad_date_kept", "511002401301001", Person, "511002401301001", false, ""},
		{"id15_feb29_non_leap_kept", "511002490229001", Person, "511002490229001", false, ""},
		{"id15_feb29_1900_kept", "511002000229001", Person, "511002000229001", false, ""},
		{"id15_letter_kept", "51100240010100A", Person, "51100240010100A", false, ""},
		{"id15_code_column_kept", "511002400101001", Code, "511002400101001", false, ""},
		{"id15_account_kept", "511002400101001", Account, "511002400101001", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := Normalize(tc.in, tc.k)
			if got != tc.want || changed != tc.changed {
				t.Errorf("Normalize(%q, %s) = %q, %v; want %q, %v", tc.in, tc.k, got, changed, tc.want, tc.changed)
			}
			if d := Describe(tc.in, tc.k); changed && d != tc.describe {
				t.Errorf("Describe(%q) = %q, want %q", tc.in, d, tc.describe)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	if got := Escape(id + "\u200b"); got != id+`\u200B` {
		t.Errorf("Escape = %s", got)
	}
	if got := Escape("１2 "); got != `\uFF112\u0020` {
		t.Errorf("Escape = %s", got)
	}
}

// TestCleanNoAlloc: the common case (an already-normal id or name) costs
// no allocation, since the loader runs it on every cell of id columns.
func TestCleanNoAlloc(t *testing.T) {
	for _, s := range []string{id, "张三", "6217000000000001"} {
		if n := testing.AllocsPerRun(100, func() { Normalize(s, Person) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times", s, n)
		}
	}
}

// TestPlainColumn: a column is plain only if no person-id value is a
// 15-digit ID number, found by the offsets' lengths.
func TestPlainColumn(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals []string
		k    Kind
		want bool
	}{
		{"ids_18", []string{id, "11010519491231002X"}, Person, true},
		{"one_id_15", []string{id, "511002400101001", "P1"}, Person, false},
		{"id_15_last", []string{"P1", "110105491231002"}, Person, false},
		{"fifteen_bytes_not_an_id", []string{"CASE-0000000001", "511002401301001"}, Person, true},
		{"id_15_in_code_column", []string{"511002400101001"}, Code, true},
		{"lower_x", []string{"11010519491231002x"}, Person, false},
		{"empty", nil, Person, true},
		{"names", []string{"张三", "阿依古丽·买买提", "Tom", "", "一", "龥"}, Name, true},
		{"name_with_space", []string{"张三", "张 三"}, Name, false},
		{"name_zero_width", []string{"张\u200b三"}, Name, false},
		{"name_full_width", []string{"Ｔom"}, Name, false},
		{"name_outside_cjk_block", []string{"〇"}, Name, false},
		{"name_ext_a", []string{"\u3400"}, Name, false},
		{"name_invalid_utf8", []string{"\xe5\xbc"}, Name, false},
		{"name_split_across_values", []string{"\xe5", "\xbc\xa0"}, Name, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			offs := []int32{0}
			for _, v := range tc.vals {
				b = append(b, v...)
				offs = append(offs, int32(len(b)))
			}
			if got := PlainColumn(b, offs, tc.k); got != tc.want {
				t.Errorf("PlainColumn(%q, %s) = %v", tc.vals, tc.k, got)
			}
		})
	}
}

func TestPlainBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    string
		k    Kind
		want bool
	}{
		{"ids", "51100219400101001X511002194001010012", Person, true},
		{"lower_x_person", "51100219400101001x", Person, false},
		{"lower_x_code", "tk-x1", Code, true},
		{"dash_account", "6217-0000", Account, false},
		{"space", "TK1 ", Code, false},
		{"zero_width", "TK1\u200b", Code, false},
		{"name", "张三", Name, false},
		{"empty", "", Person, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainBytes([]byte(tc.b), tc.k); got != tc.want {
				t.Errorf("PlainBytes(%q, %s) = %v", tc.b, tc.k, got)
			}
		})
	}
}

// TestPlainBytesEveryPosition puts one byte that is not plain at every
// position of a 70-byte run of plain ones (across the 32- and 8-byte
// rounds and the tail): each must be found.
func TestPlainBytesEveryPosition(t *testing.T) {
	base := []byte("511002194001010012L511002101204000217HT511002101204001-ABCDEFGHIJKLMNO")[:70]
	if !PlainBytes(base, Code) {
		t.Fatal("the plain base is not plain")
	}
	for _, c := range []byte{' ', 0, '\t', 0x7F, 0x80, 0xE4, 0xFF} {
		for i := range base {
			b := append([]byte(nil), base...)
			b[i] = c
			if PlainBytes(b, Code) {
				t.Errorf("byte %#x at %d: PlainBytes true", c, i)
			}
		}
	}
}
