package all

import _ "github.com/neijiang/xiaowei/detectors/subsidy" // relative-beneficiary views (rules/relative.yaml)
