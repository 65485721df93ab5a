/* Charts of the metrics pages (Overview sparklines, KPI trend and breakdown, driver
   quadrant, ROI bars) with Apache ECharts. Data sits next to each chart in a
   <script type="application/json"> block: the pages send a strict CSP. */
(function () {
  'use strict';
  var charts = [];
  function data(el, key) { return JSON.parse(document.getElementById(el.dataset[key]).textContent); }
  function make(el, option) {
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    option.aria = { enabled: true };
    option.animation = false;
    chart.setOption(option);
    el.cxmChart = chart;
    charts.push(chart);
  }
  document.querySelectorAll('[data-spark]').forEach(function (el) {
    var d = data(el, 'spark');
    make(el, {
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: d.periods, show: false },
      yAxis: { type: 'value', show: false, scale: true },
      series: [{ type: 'line', data: d.values, symbol: 'circle', symbolSize: 3, connectNulls: false,
                 lineStyle: { width: 2, color: '#1f5fbf' }, areaStyle: { opacity: 0.08 } }]
    });
  });
  document.querySelectorAll('[data-trend]').forEach(function (el) {
    var d = data(el, 'trend');
    var band = d.high.map(function (h, i) { return h === null || d.low[i] === null ? null : h - d.low[i]; });
    make(el, {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['value', '95% interval'] },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: d.periods },
      yAxis: { type: 'value', scale: true, name: d.unit },
      series: [
        { name: 'low', type: 'line', data: d.low, stack: 'ci', symbol: 'none', lineStyle: { opacity: 0 } },
        { name: '95% interval', type: 'line', data: band, stack: 'ci', symbol: 'none',
          lineStyle: { opacity: 0 }, itemStyle: { color: '#8fb8ff' },
          areaStyle: { color: '#8fb8ff', opacity: 0.35 } },
        { name: 'value', type: 'line', data: d.values, lineStyle: { width: 2, color: '#1f5fbf' },
          itemStyle: { color: '#1f5fbf' } }
      ]
    });
  });
  document.querySelectorAll('[data-bars]').forEach(function (el) {
    var d = data(el, 'bars');
    make(el, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', name: d.unit },
      yAxis: { type: 'category', data: d.groups.slice().reverse() },
      series: [{ name: 'value', type: 'bar', data: d.values.slice().reverse(), itemStyle: { color: '#1f5fbf' } }]
    });
  });
  document.querySelectorAll('[data-quadrant]').forEach(function (el) {
    var d = data(el, 'quadrant');
    var xs = d.points.map(function (p) { return p.performance; });
    var ys = d.points.map(function (p) { return p.importance; });
    var mean = function (a) { return a.reduce(function (s, v) { return s + v; }, 0) / (a.length || 1); };
    make(el, {
      tooltip: { formatter: function (p) { return p.data[2] + ': importance ' + p.data[1].toFixed(1) + '%, performance ' + p.data[0].toFixed(1); } },
      grid: { left: 8, right: 24, top: 24, bottom: 24, containLabel: true },
      xAxis: { type: 'value', name: 'performance', scale: true, nameLocation: 'middle', nameGap: 24 },
      yAxis: { type: 'value', name: 'importance (% of R²)', min: 0 },
      series: [{
        type: 'scatter', symbolSize: 16,
        data: d.points.map(function (p) { return [p.performance, p.importance, p.name, p.significant]; }),
        itemStyle: { color: function (p) { return p.data[3] ? '#1f5fbf' : '#9aa5b1'; } },
        label: { show: true, position: 'right', formatter: function (p) { return p.data[2]; } },
        markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#6b7785' },
                    data: [{ xAxis: mean(xs) }, { yAxis: mean(ys) }] }
      }]
    });
  });
  document.querySelectorAll('[data-roi]').forEach(function (el) {
    var d = data(el, 'roi');
    make(el, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: d.groups },
      yAxis: [{ type: 'value', name: 'EUR' }, { type: 'value', name: 'retention %', min: 0, max: 100 }],
      series: [
        { name: 'spend / customer', type: 'bar', data: d.spend },
        { name: 'historical CLTV', type: 'bar', data: d.clv },
        { name: 'retention %', type: 'line', yAxisIndex: 1, data: d.retention }
      ]
    });
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
