package yamlpos

import (
	"strings"
	"testing"
)

type inner struct {
	Limit int               `yaml:"limit"`
	Tags  map[string]string `yaml:"tags"`
}

type doc struct {
	Name  string   `yaml:"name"`
	On    *bool    `yaml:"on"`
	Items []inner  `yaml:"items"`
	Skip  string   `yaml:"-"`
	Refs  []string `yaml:"refs"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"good", "name: x\non: true\nitems:\n  - limit: 3\n    tags: {a: b}\nrefs: [r1]\n", ""},
		{"empty document", "", ""},
		{"unknown and repeated", "name: x\nnmae: y\nname: z\n",
			"f.yaml:2:1: document: unknown field \"nmae\" (known: items, name, on, refs)\nf.yaml:3:1: document: field \"name\" given twice"},
		{"wrong types", "on: yes please\nitems:\n  - limit: ten\n    tags: [a]\nrefs: {a: 1}\n",
			"f.yaml:1:5: on: \"yes please\" is not true or false\nf.yaml:3:12: items[0].limit: \"ten\" is not a whole number\nf.yaml:4:11: items[0].tags: want a mapping\nf.yaml:5:7: refs: want a list"},
		{"ignored field is unknown", "Skip: 1\n", "f.yaml:1:1: document: unknown field \"Skip\" (known: items, name, on, refs)"},
		{"syntax", "name: [x\n", "f.yaml:1:1: invalid YAML: did not find expected ',' or ']'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			_, errs := Decode("f.yaml", []byte(tc.src), &d)
			got := ""
			if err := errs.Err(); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestAtFallsBackToParent(t *testing.T) {
	var d doc
	pos, errs := Decode("f.yaml", []byte("name: x\nitems:\n  - limit: 3\n"), &d)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	for _, tc := range []struct{ path, want string }{
		{"items[0].limit", "f.yaml:3:12: m"},
		{"items[0].tags", "f.yaml:3:5: m"}, // not written: its item
		{"on", "f.yaml:1:1: m"},            // not written: the document
	} {
		t.Run(tc.path, func(t *testing.T) {
			if got := pos.At(tc.path, "m").Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("At(%q) = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}
