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
