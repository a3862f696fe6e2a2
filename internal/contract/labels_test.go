package contract

import (
	"slices"
	"testing"
)

// Every enum value inspectors see has a Chinese label, and no label names
// a value the contract does not have (a renamed value would otherwise
// silently show blank).
func TestLabelsCoverEnums(t *testing.T) {
	for _, tc := range []struct {
		name   string
		enum   []string
		labels map[string]string
	}{
		{"roles", Roles, RoleLabels},
		{"programs", Programs, ProgramLabels},
		{"items", Items, ItemLabels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range tc.enum {
				if tc.labels[v] == "" {
					t.Errorf("%s: %q has no label", tc.name, v)
				}
			}
			for v := range tc.labels {
				if !slices.Contains(tc.enum, v) {
					t.Errorf("%s: label for %q, which is not in the enum", tc.name, v)
				}
			}
		})
	}
}

// A contract column with labels has one for each of its values, so
// {{label col}} never falls back to a code for valid data.
func TestColumnLabelsCoverEnums(t *testing.T) {
	n := 0
	for _, tb := range Tables {
		for _, c := range tb.Columns {
			if c.Labels == nil {
				continue
			}
			n++
			t.Run(tb.Name+"."+c.Name, func(t *testing.T) {
				if c.Kind != Enum {
					t.Fatalf("labels on a %s column", c.Kind)
				}
				for _, v := range c.Enum {
					if c.Labels[v] == "" {
						t.Errorf("%q has no label", v)
					}
				}
			})
		}
	}
	if n != 4 { // cadres.role, beneficiaries.program, payments.program, disclosures.item
		t.Errorf("%d labelled contract columns, want 4", n)
	}
}
