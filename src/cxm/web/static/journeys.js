/* Draws the journey pages' charts with Apache ECharts: funnel bars, conversion trend,
   stacked monthly transitions and the paths Sankey. Data sits next to each chart in a
   <script type="application/json"> block (no inline script: the pages send a strict CSP). */
(function () {
  'use strict';
  var charts = [];
  function option(data) {
    var base = { aria: { enabled: true }, animation: false, tooltip: {} };
    if (data.kind === 'funnel') {
      base.tooltip = { trigger: 'axis', axisPointer: { type: 'shadow' } };
      base.legend = { type: 'scroll', top: 0 };
      base.grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
      base.xAxis = { type: 'category', data: data.steps, axisLabel: { interval: 0, overflow: 'truncate', width: 120 } };
      base.yAxis = { type: 'value', minInterval: 1 };
      base.series = data.series.map(function (s) { return { name: s.name, type: 'bar', data: s.values }; });
    } else if (data.kind === 'trend') {
      base.tooltip = { trigger: 'axis' };
      base.grid = { left: 8, right: 16, top: 24, bottom: 8, containLabel: true };
      base.xAxis = { type: 'category', data: data.periods };
      base.yAxis = { type: 'value', axisLabel: { formatter: '{value}%' } };
      base.series = [{ name: 'conversion %', type: 'line', data: data.values, connectNulls: false }];
    } else if (data.kind === 'stacked') {
      base.tooltip = { trigger: 'axis', axisPointer: { type: 'shadow' } };
      base.legend = { type: 'scroll', top: 0 };
      base.grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
      base.xAxis = { type: 'category', data: data.periods };
      base.yAxis = { type: 'value', minInterval: 1 };
      base.series = data.series.map(function (s) {
        return { name: s.name, type: 'bar', stack: 'total', data: s.values };
      });
    } else if (data.kind === 'sankey') {
      base.tooltip = { trigger: 'item' };
      base.series = [{
        type: 'sankey', data: data.nodes, links: data.links, left: 8, right: 140,
        emphasis: { focus: 'adjacency' }, nodeGap: 10, label: { fontSize: 11 },
        lineStyle: { color: 'gradient', curveness: 0.5 }
      }];
    }
    return base;
  }
  document.querySelectorAll('[data-journeys-chart]').forEach(function (el) {
    var data = JSON.parse(document.getElementById(el.dataset.journeysChart).textContent);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option(data));
    charts.push(chart);
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
