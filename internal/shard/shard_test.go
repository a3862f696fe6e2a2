package shard

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		err  string
	}{
		{"0/1", Spec{0, 1}, ""},
		{"3/4", Spec{3, 4}, ""},
		{"4/4", Spec{}, "I must be 0..3"},
		{"-1/4", Spec{}, "I must be 0..3"},
		{"1/0", Spec{}, "N must be 1..1000"},
		{"1", Spec{}, "want I/N"},
		{"a/4", Spec{}, "whole numbers"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestAssign(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows map[string]int64
		n    int
		want map[string]int
	}{
		{"one shard takes all", map[string]int64{"a": 5, "b": 1}, 1, map[string]int{"a": 0, "b": 0}},
		// 100 alone; 60+30 together; 10 goes to the lighter second shard.
		{"largest first, to the lightest shard", map[string]int64{"a": 100, "b": 60, "c": 30, "d": 10}, 2,
			map[string]int{"a": 0, "b": 1, "c": 1, "d": 1}},
		{"equal sizes in id order", map[string]int64{"y": 7, "x": 7, "z": 7}, 3, map[string]int{"x": 0, "y": 1, "z": 2}},
		{"more shards than counties leaves shards empty", map[string]int64{"a": 1}, 3, map[string]int{"a": 0}},
		{"empty counties spread out", map[string]int64{"a": 0, "b": 0, "c": 0, "d": 0}, 2, map[string]int{"a": 0, "b": 1, "c": 0, "d": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Assign(tc.rows, tc.n)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Balanced: 40 counties of varied size over 4 shards differ by less
	// than the largest county.
	rows := map[string]int64{}
	var biggest int64
	for i := 0; i < 40; i++ {
		rows[fmt.Sprintf("c%02d", i)] = int64((i*7919)%1000 + 1)
		if rows[fmt.Sprintf("c%02d", i)] > biggest {
			biggest = rows[fmt.Sprintf("c%02d", i)]
		}
	}
	load := make([]int64, 4)
	for c, s := range Assign(rows, 4) {
		load[s] += rows[c]
	}
	lo, hi := load[0], load[0]
	for _, l := range load {
		lo, hi = min(lo, l), max(hi, l)
	}
	if hi-lo > biggest {
		t.Errorf("loads %v differ by %d, more than the largest county %d", load, hi-lo, biggest)
	}
}
