/**
 * The HTML report's browser side: its stylesheet and the script that draws the charts with uPlot
 * (inlined beside it) from the JSON the page carries. Plain ES2017 without template literals, so it
 * sits in a string here and needs no build step; everything else in the page is static HTML.
 * Internal to runner/reporters.
 */

export const REPORT_CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --soft:#f6f8fa;
  --pass:#1a7f37; --fail:#cf222e; --skip:#9a6700; --err:#8250df; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; padding: 0 24px 48px; max-width: 1200px; margin-inline: auto; }
h1 { font-size: 22px; margin: 20px 0 4px; } h2 { font-size: 18px; margin: 0; }
h3 { font-size: 14px; margin: 18px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.meta { color: var(--muted); margin: 0 0 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; color: #fff; }
.passed { background: var(--pass); } .failed { background: var(--fail); } .skipped { background: var(--skip); }
.errored, .interrupted, .not-evaluated { background: var(--err); }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0 18px; }
.totals div { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
.totals b { font-size: 18px; display: block; }
.warn { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
section.scenario { border: 1px solid var(--line); border-radius: 8px; margin: 16px 0; padding: 12px 16px; }
section.scenario > header { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
section.scenario > header .file { color: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
ul.details { margin: 4px 0 0; padding-left: 18px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.chart { margin: 6px 0; min-height: 40px; }
.bar { display: inline-block; height: 10px; background: #0969da; border-radius: 2px; vertical-align: middle; }
.more { color: var(--muted); font-style: italic; }
details > summary { cursor: pointer; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.matrix td.cell-passed { background: #dafbe1; } .matrix td.cell-failed { background: #ffebe9; }
.matrix td.cell-skipped, .matrix td.cell-na { color: var(--muted); background: var(--soft); }
.matrix td.cell-errored, .matrix td.cell-not-evaluated { background: #fbefff; }
.matrix td.differs { outline: 2px solid #d4a72c; outline-offset: -2px; }
`;

/**
 * Draws every chart listed in the page's data. Each chart element gets `data-drawn="1"` once its
 * canvas is drawn, which is what the browser test waits for.
 */
export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var PALETTE = ['#0969da', '#1a7f37', '#cf222e', '#8250df', '#bf3989', '#9a6700', '#1b7c83', '#953800', '#57606a', '#6639ba'];
  var dataEl = document.getElementById('mqscen-data');
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent || '{}');
  var charts = data.charts || [];

  function widthOf(el) { return Math.max(320, Math.min(1100, el.clientWidth || 900)); }

  function bandsPlugin(bands, steps) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          ctx.save();
          for (var i = 0; i < bands.length; i++) {
            var b = bands[i];
            var x0 = u.valToPos(b.from, 'x', true), x1 = u.valToPos(b.to, 'x', true);
            ctx.fillStyle = b.kind === 'fault' ? 'rgba(207,34,46,0.13)' : 'rgba(154,103,0,0.13)';
            ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
          }
          ctx.restore();
        }],
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          ctx.save();
          ctx.strokeStyle = 'rgba(89,99,110,0.45)';
          ctx.fillStyle = 'rgba(89,99,110,0.9)';
          ctx.setLineDash([4, 4]);
          ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
          for (var i = 0; i < steps.length; i++) {
            var x = u.valToPos(steps[i].at, 'x', true);
            ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
            ctx.fillText(String(steps[i].ref), x + 3, top + 10 * devicePixelRatio);
          }
          for (var j = 0; j < bands.length; j++) {
            var b = bands[j];
            ctx.fillText(b.label, u.valToPos(b.from, 'x', true) + 3, top + height - 4 * devicePixelRatio);
          }
          ctx.restore();
        }]
      }
    };
  }

  function timeline(el, c) {
    var series = [{ label: 's' }];
    var columns = [c.x];
    for (var i = 0; i < c.series.length; i++) {
      var s = c.series[i];
      series.push({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5,
        dash: s.dash ? [6, 3] : undefined, scale: s.scale || 'rate',
        value: function (u, v) { return v == null ? '-' : (Math.round(v * 10) / 10) + ''; } });
      columns.push(s.values);
    }
    var opts = {
      width: widthOf(el), height: 260, series: series,
      scales: { x: { time: false }, rate: { auto: true }, online: { auto: true } },
      axes: [
        { label: 'seconds since scenario start' },
        { scale: 'rate', label: 'messages / s' },
        { scale: 'online', side: 1, label: 'clients online', grid: { show: false } }
      ],
      legend: { live: true },
      plugins: [bandsPlugin(c.bands || [], c.steps || [])]
    };
    return new uPlot(opts, columns, el);
  }

  function latency(el, c) {
    var idx = [];
    for (var i = 0; i < c.counts.length; i++) idx.push(i);
    var opts = {
      width: widthOf(el), height: 220,
      series: [
        { label: 'latency ≤ ms', value: function (u, v) { return v == null ? '-' : c.edges[v] + ' ms'; } },
        { label: 'deliveries', fill: 'rgba(9,105,218,0.35)', stroke: '#0969da',
          paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }
      ],
      scales: { x: { time: false, range: [-0.5, c.counts.length - 0.5] } },
      axes: [
        { label: 'latency (ms, log bins)', values: function (u, splits) {
          return splits.map(function (v) { var e = c.edges[Math.round(v)]; return e == null ? '' : String(e); });
        } },
        { label: 'deliveries' }
      ]
    };
    return new uPlot(opts, [idx, c.counts], el);
  }

  var made = [];
  for (var k = 0; k < charts.length; k++) {
    var c = charts[k];
    var el = document.getElementById(c.id);
    if (!el) continue;
    var chart = c.kind === 'timeline' ? timeline(el, c) : latency(el, c);
    made.push(chart);
    el.setAttribute('data-drawn', '1');
  }
  window.addEventListener('resize', function () {
    for (var i = 0; i < made.length; i++) {
      var host = made[i].root.parentNode;
      made[i].setSize({ width: widthOf(host), height: made[i].height });
    }
  });
  document.body.setAttribute('data-charts', String(made.length));
})();
`;
