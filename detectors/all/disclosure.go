package all

import _ "github.com/neijiang/xiaowei/detectors/disclosure" // disclosure (党务、村务、财务公开)
