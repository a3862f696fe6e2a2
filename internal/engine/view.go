// Package engine compiles rules against the views they read and evaluates
// them over Arrow tables, returning findings with their evidence.
//
// A view is a table with a declared schema: either a contract table as
// loaded, or one derived by a detector (detectors/...). Detectors register
// themselves with Register; a rule `on` a name that is neither a contract
// table nor a registered view fails the check.
package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/neijiang/xiaowei/internal/civil"
	"github.com/neijiang/xiaowei/internal/contract"
	"github.com/neijiang/xiaowei/internal/ident"
	"github.com/neijiang/xiaowei/internal/rules"
	"github.com/neijiang/xiaowei/internal/table"
)

// ViewSpec declares a view's schema and what it needs.
type ViewSpec struct {
	Name string
	Doc  string
	Cols []table.Col
	// Needs lists the contract tables the view cannot be built without;
	// when an optional one is absent the view's rules are skipped and the
	// run summary says so.
	Needs []string
	// DateCol, when set, names the date column that places a row in time:
	// with a run window [from, to], rows outside it are not evaluated.
	DateCol string
}

// SettingSpec declares a detector setting and its default. Settings shape
// views (a cash limit decides which days form an over-limit run); like rule
// params they can be set in rule files and overridden per town or village.
type SettingSpec struct {
	Name    string
	Default any // int64, float64, string, bool or []string
	Doc     string
}

// Detector derives views from the loaded tables.
type Detector interface {
	Name() string
	Views() []ViewSpec
	Settings() []SettingSpec
	// Build returns the views it was asked for (in.Want), each a table
	// whose columns match the spec in order.
	Build(ctx context.Context, in *Input) (map[string]*table.Table, error)
}

// Input is what a detector builds from.
type Input struct {
	Tables   map[string]*table.Table
	AsOf     civil.Date
	From, To civil.Date // zero = open
	Want     map[string]bool
	Mem      memory.Allocator
	Settings *SettingsResolver
	// Altered lists the identifier values the run normalised before any
	// detector ran (Tables hold the normal forms), for the data-quality
	// view that reports them.
	Altered []ident.Change
	// Views holds views other detectors built earlier in this run that
	// this detector reads (see ViewReader), so it need not build them
	// again. They are not the detector's: it must not release them.
	Views    map[string]*table.Table
	detector string
}

// ViewReader is implemented by a detector whose views read other
// detectors' views (a declared view `from: cadre_relatives`). A run builds
// the detectors such a view reads before it, when it builds them anyway,
// and hands their views over in Input.Views instead of building them twice.
type ViewReader interface {
	// ReadsViews names the other detectors' views the wanted views read,
	// directly or through the detector's own views.
	ReadsViews(want map[string]bool) []string
}

// Setting returns the detector's setting for a village (village beats
// town beats rule files beats the detector's default).
func (in *Input) Setting(villageID, name string) any {
	return in.Settings.Get(in.detector, name, villageID)
}

// Int reads an integer setting.
func (in *Input) Int(villageID, name string) int64 { return toInt(in.Setting(villageID, name)) }

// Float reads a numeric setting.
func (in *Input) Float(villageID, name string) float64 { return toFloat(in.Setting(villageID, name)) }

// MoneyFen reads a money setting given in yuan, exactly, as fen.
func (in *Input) MoneyFen(villageID, name string) int64 {
	return yuanToFen(in.Setting(villageID, name))
}

// Strings reads a list setting.
func (in *Input) Strings(villageID, name string) []string {
	v, _ := in.Setting(villageID, name).([]string)
	return v
}

// Str reads a string setting.
func (in *Input) Str(villageID, name string) string {
	v, _ := in.Setting(villageID, name).(string)
	return v
}

var (
	regMu     sync.RWMutex
	detectors = map[string]Detector{}
)

// Register adds a detector; it panics on a duplicate name or a view that
// another detector or a contract table already provides (programming
// errors, found at init).
func Register(d Detector) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := detectors[d.Name()]; dup {
		panic("engine: detector registered twice: " + d.Name())
	}
	for _, v := range d.Views() {
		if _, ok := contract.Lookup(v.Name); ok {
			panic("engine: view name is a contract table: " + v.Name)
		}
		for _, o := range detectors {
			for _, ov := range o.Views() {
				if ov.Name == v.Name {
					panic("engine: view registered twice: " + v.Name)
				}
			}
		}
	}
	detectors[d.Name()] = d
}

// Detectors lists registered detectors by name.
func Detectors() []Detector {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Detector, 0, len(detectors))
	for _, d := range detectors {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// LookupView finds a view: a contract table or a detector view. The
// detector is nil for contract tables.
func LookupView(name string) (ViewSpec, Detector, bool) {
	if t, ok := contract.Lookup(name); ok {
		return ContractView(t), nil, true
	}
	return viewOf(Detectors(), name)
}

// viewOf finds the view called name among the detectors' views.
func viewOf(dets []Detector, name string) (ViewSpec, Detector, bool) {
	for _, d := range dets {
		for _, v := range d.Views() {
			if v.Name == name {
				return v, d, true
			}
		}
	}
	return ViewSpec{}, nil, false
}

// viewCompiler compiles the views a rule set declares in `views:` blocks
// (internal/views installs it from init, the way detectors register
// themselves, so the engine does not import it).
var viewCompiler func(set *rules.Set) ([]Detector, rules.Errors)

// SetViewCompiler installs the compiler of declared views.
func SetViewCompiler(f func(set *rules.Set) ([]Detector, rules.Errors)) { viewCompiler = f }

func declaredViews(set *rules.Set) ([]Detector, rules.Errors) {
	if viewCompiler == nil || set == nil {
		return nil, nil
	}
	return viewCompiler(set)
}

// contractDateCols places contract-table rows in time for the run window.
var contractDateCols = map[string]string{"ledger": "date", "payments": "paid_on", "disclosures": "posted_on", "beneficiaries": "approved_on"}

// ContractView is the view spec of a contract table as loaded.
func ContractView(t *contract.Table) ViewSpec {
	dc := contractDateCols[t.Name]
	if t.DateCol != "" {
		dc = t.DateCol
	}
	return ViewSpec{Name: t.Name, Cols: table.ContractCols(t), Needs: []string{t.Name}, DateCol: dc,
		Doc: "contract table " + t.Name}
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	panic(fmt.Sprintf("setting value %v (%T) is not a number", v, v))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("setting value %v (%T) is not a number", v, v))
}

func yuanToFen(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x * 100
	case float64:
		if x < 0 {
			return -int64(-x*100 + 0.5)
		}
		return int64(x*100 + 0.5)
	}
	panic(fmt.Sprintf("setting value %v (%T) is not an amount", v, v))
}

// NewInput prepares a detector's input.
func NewInput(d Detector, tables map[string]*table.Table, asOf, from, to civil.Date, want map[string]bool, mem memory.Allocator, s *SettingsResolver) *Input {
	return &Input{Tables: tables, AsOf: asOf, From: from, To: to, Want: want, Mem: mem, Settings: s, detector: d.Name()}
}
