package report

import "html/template"

var pageTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
:root { --fg:#1f2328; --muted:#57606a; --line:#d0d7de; --bg:#f6f8fa; --accent:#8b1a1a; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif; color: var(--fg); margin: 0; line-height: 1.55; font-size: 14px; }
header { background: var(--accent); color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .sub { opacity: .9; }
header .meta { margin-top: 8px; font-size: 13px; opacity: .95; }
main { padding: 16px 32px 40px; max-width: 1200px; }
h2 { border-left: 5px solid var(--accent); padding-left: 10px; margin-top: 32px; font-size: 19px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.notice { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; border-radius: 6px; margin: 12px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--bg); }
.card .v { font-size: 26px; font-weight: 700; }
.card .l { color: var(--muted); }
.card .n { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; break-inside: avoid; }
.chart h3 { margin-top: 4px; }
.chart .cap { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.sev { display: inline-block; padding: 0 7px; border-radius: 10px; color: #fff; font-size: 12px; white-space: nowrap; }
.sev-critical { background: #8b1a1a; } .sev-high { background: #d9480f; } .sev-medium { background: #b7791f; } .sev-low { background: #6c757d; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; border: 1px solid; white-space: nowrap; }
.badge-confirmed { color: #8b1a1a; border-color: #8b1a1a; background: #ffebe9; }
.badge-false_positive { color: #57606a; border-color: #8c959f; }
.badge-suppressed { color: #7d4e00; border-color: #d4a72c; background: #fff8c5; }
.lead { border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; padding: 10px 14px; break-inside: avoid; }
.lead.top { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent) inset; }
.lead .head { display: flex; flex-wrap: wrap; gap: 10px; align-items: baseline; }
.lead .rank { font-size: 20px; font-weight: 700; color: var(--accent); min-width: 2.5em; }
.lead .who { font-size: 17px; font-weight: 700; }
.lead .place, .muted { color: var(--muted); }
.lead .score { margin-left: auto; font-weight: 600; }
.verify { background: #eef6ff; border-left: 4px solid #1f6feb; padding: 6px 10px 6px 26px; margin: 8px 0; }
details { margin: 6px 0; }
summary { cursor: pointer; color: #0550ae; }
.ev { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
.ev span { display: inline-block; margin-right: 12px; }
.ev b { color: var(--fg); font-weight: 600; }
.toolbar { margin: 8px 0; }
.toolbar input { padding: 5px 8px; width: 320px; border: 1px solid var(--line); border-radius: 6px; }
.village { break-inside: avoid; }
.village td:last-child, .village th:last-child { min-width: 10em; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); margin-top: 36px; padding-top: 10px; }
@media print {
  header { background: #fff; color: #000; border-bottom: 3px solid #8b1a1a; }
  .toolbar, .noprint { display: none; }
  main { max-width: none; padding: 0 12px; }
  .lead, .chart, .village { page-break-inside: avoid; }
  h2 { page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<header>
  <h1 id="title">{{.Title}}</h1>
  <div class="sub">{{.Subtitle}}{{if .Description}} · {{.Description}}{{end}}</div>
  <div class="meta">截至 <b id="as-of">{{.AsOf}}</b> · 检查期间 {{.Window}} · 范围 <span id="scope">{{.Scope}}</span>{{if .Generated}} · 生成于 {{.Generated}}{{end}}</div>
</header>
<main>
{{if .Masked}}<p class="notice" id="masked">本报告已对个人信息脱敏（身份证号、姓名、银行账号）。完整信息仅限授权人员使用 <code>--unmasked</code> 查看。</p>{{else}}<p class="notice" id="unmasked">本报告含未脱敏的个人信息，仅限授权人员阅读，不得外传。</p>{{end}}
<p class="muted">线索不等于结论：每条线索均列明需核实的事项，请依程序核查。</p>

<section id="overview">
<h2>总体情况</h2>
<div class="cards">{{range .Cards}}<div class="card"><div class="l">{{.Label}}</div><div class="v">{{.Value}}</div><div class="n">{{.Note}}</div></div>{{end}}</div>
<div class="charts" id="charts">{{range .Charts}}<div class="chart"><h3>{{.Title}}</h3>{{.SVG}}<div class="cap">{{.Caption}}</div></div>{{end}}</div>
{{with .Trend}}<div class="chart" id="trend"><h3>{{.Title}}</h3>{{.SVG}}<div class="cap">{{.Caption}}</div></div>{{else}}<p class="muted" id="no-trend">趋势对比需数据库模式（xiaowei report --db … --run-id …）。</p>{{end}}
</section>

<section id="leads">
<h2>问题线索（按得分排序，共 {{len .Leads}} 条）</h2>
<div class="toolbar noprint"><input id="filter" type="search" placeholder="筛选：姓名、村、镇、职务、类别…" aria-label="筛选线索"></div>
{{range $i, $l := .Leads}}
<article class="lead{{if lt $i 3}} top{{end}}" id="lead-{{.ID}}" data-lead-id="{{.ID}}" data-rank="{{.Rank}}" data-search="{{.Search}}">
  <div class="head">
    <span class="rank">#{{.Rank}}</span>
    <span class="who">{{.Who}}</span>
    <span>{{.Role}}</span>
    <span class="place">{{.Town}} {{.Place}}</span>
    <span class="sev sev-{{.Severity}}">{{.SevLabel}}</span>
    {{if .Confirmed}}<span class="badge badge-confirmed">已核实</span>{{end}}
    <span class="score">得分 {{.Score}}{{if .Amount}} · 涉及 {{.Amount}} 元{{end}}</span>
  </div>
  <div class="muted">问题类别：{{.Families}}{{if .Contacts}} · 村级责任人：{{.Contacts}}{{end}} · 线索编号 {{.ID}}</div>
  <table class="rules"><tr><th>规则</th><th>名称</th><th>类别</th><th>程度</th><th class="num">发现数</th><th class="num">金额（元）</th><th class="num">分值</th></tr>
  {{range .Rules}}<tr><td>{{.RuleID}}</td><td>{{.Title}}</td><td>{{.Family}}</td><td><span class="sev sev-{{.Severity}}">{{.SevLabel}}</span></td><td class="num">{{.Findings}}</td><td class="num">{{.Amount}}</td><td class="num">{{.Score}}</td></tr>{{end}}
  </table>
  <div class="verify"><b>需核实：</b><ol>{{range .Verify}}<li>{{.}}</li>{{end}}</ol></div>
  <details><summary>证据（{{len .Findings}} 项发现）</summary>
  {{range .Findings}}<div class="finding"><p><span class="sev sev-{{.Severity}}">{{.SevLabel}}</span> <b>{{.Title}}</b> <span class="muted">{{.RuleID}} · {{.Subject}} · {{.Period}}</span>{{if .Amount}} · {{.Amount}} 元{{end}}{{if .DispLabel}} <span class="badge badge-{{.Disposition}}">{{.DispLabel}}</span>{{end}}<br>{{.Message}}</p>
  <div class="ev">{{range .Evidence}}<span>{{.K}}：<b>{{.V}}</b></span>{{end}}</div></div>{{end}}
  </details>
</article>
{{else}}<p id="no-leads">本次运行没有问题线索。</p>{{end}}
</section>

<section id="villages">
<h2>各村（社区）情况</h2>
<table><tr><th>镇（街道）</th><th>村（社区）</th><th class="num">发现</th><th class="num">线索</th><th>类别</th><th class="num">涉及金额（元）</th></tr>
{{range .Villages}}<tr><td>{{.Town}}</td><td><a href="#village-{{.ID}}">{{.Name}}</a></td><td class="num">{{.Count}}</td><td class="num">{{.Leads}}</td><td>{{.Families}}</td><td class="num">{{.Amount}}</td></tr>{{end}}
</table>
{{range .Villages}}
<div class="village" id="village-{{.ID}}">
<h3>{{.Town}} {{.Name}} <span class="muted">（{{.ID}}，{{.Count}} 项发现）</span></h3>
<table><tr><th>程度</th><th>问题</th><th>说明</th><th class="num">金额（元）</th><th>处置</th></tr>
{{range .Findings}}<tr><td><span class="sev sev-{{.Severity}}">{{.SevLabel}}</span></td><td>{{.Title}}<br><span class="muted">{{.RuleID}}</span></td><td>{{.Message}}</td><td class="num">{{.Amount}}</td><td>{{if .DispLabel}}<span class="badge badge-{{.Disposition}}">{{.DispLabel}}</span><br><span class="muted">{{.DispNote}}</span>{{end}}</td></tr>{{end}}
</table>
</div>
{{else}}<p>没有发现。</p>{{end}}
</section>

<section id="dispositions">
<h2>处置记录</h2>
{{if .Disposed}}<table><tr><th>对象</th><th>问题</th><th>村</th><th>处置</th><th>暂缓至</th><th>理由</th><th>决定人</th><th>时间</th><th>状态</th></tr>
{{range .Disposed}}<tr><td>{{.Target}}</td><td>{{.Title}}</td><td>{{.Village}}</td><td><span class="badge badge-{{.Status}}">{{.Label}}</span></td><td>{{.Until}}</td><td>{{.Reason}}</td><td>{{.By}}</td><td>{{.At}}</td><td>{{.Active}}</td></tr>{{end}}
</table><p class="muted">误报和暂缓期内的发现仍记录在案，但不计入问题线索；已核实的线索排在最前，直至问题整改不再出现。</p>
{{else}}<p>本次运行没有适用的处置记录。</p>{{end}}
</section>

<section id="data-quality">
<h2>数据质量</h2>
<table><tr><th>数据表</th><th class="num">读取</th><th class="num">载入</th><th class="num">拒收</th><th class="num">晚于截止日</th></tr>
{{range .Tables}}<tr><td>{{.Table}}</td><td class="num">{{.Read}}</td><td class="num">{{.Loaded}}</td><td class="num">{{.Rejected}}</td><td class="num">{{.AfterAsOf}}</td></tr>{{end}}
</table>
{{if .Missing}}<p>缺少的可选数据表：{{range .Missing}}{{.}} {{end}}（依赖它们的规则未运行）</p>{{end}}
<h3>未运行的规则</h3>
{{if or .Skipped .BadRules}}<ul id="skipped">{{range .Skipped}}<li>{{.RuleID}}：{{.Reason}}</li>{{end}}{{range .BadRules}}<li>{{.}}（规则有误）</li>{{end}}</ul>{{else}}<p>全部规则均已运行。</p>{{end}}
<h3>拒收的数据行（{{.RejectsTotal}}）</h3>
{{if .Rejects}}<table id="rejects"><tr><th>数据表</th><th>文件</th><th class="num">行</th><th>列</th><th>值</th><th>原因</th></tr>
{{range .Rejects}}<tr><td>{{.Table}}</td><td>{{.File}}</td><td class="num">{{.Line}}</td><td>{{.Column}}</td><td>{{.Value}}</td><td>{{.Reason}}</td></tr>{{end}}
</table>{{if .RejectsMore}}<p class="muted">另有 {{.RejectsMore}} 行，见 rejected.csv。</p>{{end}}{{else}}<p>没有拒收的数据行。</p>{{end}}
</section>

<footer>
<p>{{.Score}}</p>
<p>由 xiaowei 生成。本文件自包含，不向任何地址发出请求。findings.jsonl 为未脱敏的证据存档，仅限授权人员使用。</p>
</footer>
</main>
<script>
(function () {
  var input = document.getElementById('filter');
  if (input) input.addEventListener('input', function () {
    var q = input.value.trim();
    document.querySelectorAll('article.lead').forEach(function (a) {
      a.style.display = !q || a.getAttribute('data-search').indexOf(q) >= 0 ? '' : 'none';
    });
  });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.setAttribute('open', ''); });
  });
})();
</script>
</body>
</html>
`))
