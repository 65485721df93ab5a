/* Draws every [data-chart] element as a stacked daily bar chart with Apache ECharts.
   The data sits next to it in a <script type="application/json"> block, so pages stay
   server-rendered and no inline script is needed (the pages send a strict CSP). */
(function () {
  'use strict';
  var charts = [];
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: data.days },
      yAxis: { type: 'value', minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: 'bar', stack: 'total', data: s.values,
                 emphasis: { focus: 'series' } };
      })
    });
    el.cxmChart = chart;
    charts.push(chart);
  }
  document.querySelectorAll('[data-chart]').forEach(draw);
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
