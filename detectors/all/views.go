package all

import (
	_ "github.com/neijiang/xiaowei/detectors/cadrekin" // cadre_relatives: a general person -> cadre-relative view
	_ "github.com/neijiang/xiaowei/internal/views"     // views declared in rule files (views:)
)
