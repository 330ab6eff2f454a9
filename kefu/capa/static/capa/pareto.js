// The monthly Pareto of nonconformities (R6.5): bars by count, the cumulative share as a line.
(function () {
  var box = document.getElementById("pareto");
  var source = document.getElementById("pareto-data");
  if (!box || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var count = box.dataset.count, cumulative = box.dataset.cumulative;
  box.style.width = "100%";
  box.style.height = "420px";
  var chart = echarts.init(box);
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {data: [count, cumulative]},
    xAxis: {type: "category", data: data.types},
    yAxis: [{type: "value", name: count, minInterval: 1}, {type: "value", name: "%", max: 100}],
    series: [
      {name: count, type: "bar", data: data.counts},
      {name: cumulative, type: "line", yAxisIndex: 1, data: data.cumulative}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
