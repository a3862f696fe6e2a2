package findings

// Severity is how serious a finding is. It is a string type so that
// findings.jsonl, rule files and the database keep holding the plain name
// ("high"); its order and Chinese label live here, once, instead of as
// string literals in the rules, leads and report packages.
type Severity string

// The severities, from least to most serious.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities in increasing order.
var Severities = []Severity{Low, Medium, High, Critical}

// severityLabels are the severities as inspectors read them.
var severityLabels = map[Severity]string{Low: "低", Medium: "中", High: "高", Critical: "严重"}

// Rank orders severities (low is 0); an unknown one is -1, below all.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Label is the severity in Chinese; "" for an unknown one.
func (s Severity) Label() string { return severityLabels[s] }

// SeverityNames are the severities' names in increasing order, for
// parsers that check a value against a list of strings.
func SeverityNames() []string {
	out := make([]string, len(Severities))
	for i, s := range Severities {
		out[i] = string(s)
	}
	return out
}
