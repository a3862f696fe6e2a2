package all

import _ "github.com/neijiang/xiaowei/detectors/refcheck" // references that name no village, case or person (rules/data_quality.yaml)
