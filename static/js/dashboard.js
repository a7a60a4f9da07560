// The dashboards' charts (templates/reports/dashboard.html): ECharts draws each chart from the page's JSON block,
// whose figures the table beside each chart shows too (for screen readers and print). No inline script or style.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var drawn = [];
  function numbers(values) { return values.map(function (v) { return Number(v); }); }
  function option(spec) {
    if (spec.kind === "pie") {
      var values = numbers(spec.series[0].data);
      return {
        tooltip: { trigger: "item", renderMode: "richText" },
        legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], name: spec.series[0].name,
          data: spec.labels.map(function (label, i) { return { name: label, value: values[i] }; }) }]
      };
    }
    return {
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: spec.series.length > 1 ? { type: "scroll", bottom: 0 } : undefined,
      grid: { left: 8, right: 8, top: 16, bottom: spec.series.length > 1 ? 40 : 8, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 4 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { type: spec.kind, name: s.name, data: numbers(s.data), stack: spec.stack ? "all" : undefined };
      })
    };
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (node) {
    var spec = charts[node.getAttribute("data-chart")];
    if (!spec) { return; }
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    drawn.push(chart);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
}());
