/* Survey charts with the vendored ECharts: NPS trend with its 95% band, score
   distributions, and the Kano Better-Worse scatter. Data sits in a JSON block next
   to the chart (no inline script; the pages send a strict CSP). */
(function () {
  'use strict';
  var charts = [];
  function data(el) { return JSON.parse(document.getElementById(el.dataset.source).textContent); }
  var draw = {
    trend: function (d) {
      var t = d.trend;
      return {
        tooltip: { trigger: 'axis' }, legend: { top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: t.labels },
        yAxis: { type: 'value', min: t.min, max: t.max },
        series: [
          { name: '95% low', type: 'line', data: t.low, lineStyle: { type: 'dashed' }, symbol: 'none' },
          { name: t.metric, type: 'line', data: t.score },
          { name: '95% high', type: 'line', data: t.high, lineStyle: { type: 'dashed' }, symbol: 'none' }
        ]
      };
    },
    distribution: function (d, el) {
      var c = d.charts[el.dataset.kind].distribution;
      return {
        tooltip: { trigger: 'axis' },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: c.labels }, yAxis: { type: 'value', minInterval: 1 },
        series: [{ name: 'answers', type: 'bar', data: c.values }]
      };
    },
    kano: function (d) {
      return {
        tooltip: { formatter: function (p) { return echarts.format.encodeHTML(p.data.name) + ' (' + (p.data.category || '') + ')<br>|Worse| ' + p.data.value[0] + ', Better ' + p.data.value[1]; } },
        grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: 'value', min: 0, max: 1, name: '|Worse|' },
        yAxis: { type: 'value', min: 0, max: 1, name: 'Better' },
        series: [{ type: 'scatter', symbolSize: 14, data: d.points,
                   label: { show: true, position: 'right', formatter: function (p) { return p.data.name; } },
                   markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed' },
                               data: [{ xAxis: 0.5 }, { yAxis: 0.5 }] } }]
      };
    }
  };
  document.querySelectorAll('[data-voc-chart]').forEach(function (el) {
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var option = draw[el.dataset.vocChart](data(el), el);
    option.aria = { enabled: true }; option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
