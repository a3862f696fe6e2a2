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
