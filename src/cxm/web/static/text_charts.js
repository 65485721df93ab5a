/* Reviews page charts with the vendored ECharts: average star rating per period and
   source (lines), and analysed reviews per period stacked by sentiment (bars in
   red / grey / green). Data sits in a JSON block next to each chart (no inline
   script: the pages send a strict CSP). */
(function () {
  'use strict';
  var SENTIMENT_COLOURS = { negative: '#b3261e', neutral: '#9e9e9e', positive: '#1b7f3b' };
  var options = {
    rating: function (data) {
      return {
        tooltip: { trigger: 'axis' },
        legend: { type: 'scroll', top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: data.periods },
        yAxis: { type: 'value', min: 1, max: 5, name: 'stars' },
        series: data.series.map(function (s) {
          return { name: s.name, type: 'line', data: s.values, connectNulls: true };
        })
      };
    },
    sentiment: function (data) {
      return {
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: data.days },
        yAxis: { type: 'value', minInterval: 1 },
        series: data.series.map(function (s) {
          return { name: s.name, type: 'bar', stack: 'total', data: s.values,
                   itemStyle: { color: SENTIMENT_COLOURS[s.name] } };
        })
      };
    }
  };
  var charts = [];
  document.querySelectorAll('[data-text-chart]').forEach(function (el) {
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var option = options[el.dataset.textChart](data);
    option.aria = { enabled: true };
    option.animation = false;
    chart.setOption(option);
    el.cxmChart = chart;
    charts.push(chart);
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
