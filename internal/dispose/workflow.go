package dispose

import (
	"fmt"
	"slices"
)

// The workflow of a lead in the workbench. It extends the disposition
// model rather than standing beside it: concluding a lead records a
// disposition event (Conclusion.Status) on the lead's findings, so a
// 不属实 conclusion in the browser suppresses the findings exactly as
// `xiaowei dispose --status false_positive` does, and a `dispose` of a
// lead on the command line closes its workflow.

// Lead workflow statuses: 待分派 → 已分派 → 核查中 → 办结.
const (
	Pending   = "pending"
	Assigned  = "assigned"
	Verifying = "verifying"
	Closed    = "closed"
)

// WorkflowStatuses in order.
var WorkflowStatuses = []string{Pending, Assigned, Verifying, Closed}

// WorkflowLabels are the statuses in Chinese.
var WorkflowLabels = map[string]string{Pending: "待分派", Assigned: "已分派", Verifying: "核查中", Closed: "办结"}

// Conclusions of a closed lead.
const (
	Substantiated = "substantiated" // 属实
	Partly        = "partly"        // 部分属实
	Unfounded     = "unfounded"     // 不属实 = false positive
	Deferred      = "deferred"      // 暂缓 until a date
)

// Conclusions in order.
var Conclusions = []string{Substantiated, Partly, Unfounded, Deferred}

// ConclusionLabels are the conclusions in Chinese.
var ConclusionLabels = map[string]string{Substantiated: "属实", Partly: "部分属实", Unfounded: "不属实", Deferred: "暂缓"}

// ConclusionStatus is the disposition a conclusion records on the lead's
// findings.
var ConclusionStatus = map[string]string{Substantiated: Confirmed, Partly: Confirmed, Unfounded: FalsePositive, Deferred: Suppressed}

// ConclusionOf is the workflow conclusion a disposition status recorded
// outside the workbench (the dispose command) stands for.
var ConclusionOf = map[string]string{Confirmed: Substantiated, FalsePositive: Unfounded, Suppressed: Deferred}

// Forms of accountability (问责方式), mildest first.
var Forms = []string{"谈话提醒", "批评教育", "责令检查", "通报批评", "诫勉", "党内警告", "党内严重警告", "撤销党内职务", "留党察看",
	"开除党籍", "政务警告", "政务记过", "政务记大过", "降级", "撤职", "开除", "组织处理", "移送司法机关"}

// ValidForm checks an accountability form.
func ValidForm(f string) error {
	if slices.Contains(Forms, f) {
		return nil
	}
	return fmt.Errorf("问责方式 %q 不在清单中", f)
}

// CanMove says whether a lead may move from one workflow status to
// another. Moves go forward one step, or back (a closed lead reopened
// for more verification goes back to 核查中); 待分派 → 核查中 is allowed
// when the town takes up a lead itself.
func CanMove(from, to string) bool {
	i, j := slices.Index(WorkflowStatuses, from), slices.Index(WorkflowStatuses, to)
	if i < 0 || j < 0 || i == j {
		return false
	}
	if to == Closed {
		return false // closing goes through Conclude, which needs a conclusion
	}
	return j == i+1 || j < i || (from == Pending && to == Verifying)
}
