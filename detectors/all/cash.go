package all

import _ "github.com/neijiang/xiaowei/detectors/cash" // 现金管理
