// Survey pages: copy a personal link, draw the year-end trend charts. No inline script (CSP).
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  event.preventDefault();
  const box = document.getElementById(button.dataset.copy);
  if (!box) return;
  const done = () => {
    const note = button.parentElement.querySelector(".copied");
    if (note) note.hidden = false;
  };
  box.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(box.value).then(done, () => { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

(function () {
  const source = document.getElementById("trend-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const charts = [];
  const narrow = window.innerWidth < 640;
  const line = document.getElementById("trend-line");
  if (line) {
    const chart = echarts.init(line);
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: data.series.map((s) => s.name)},
      grid: {left: 40, right: 20, bottom: 40, containLabel: true},
      xAxis: {type: "category", data: data.rounds},
      yAxis: {type: "value", min: (v) => Math.max(0, Math.floor(v.min / 10) * 10), max: 100},
      series: data.series.map((s) => ({name: s.name, type: "line", data: s.data, connectNulls: true,
        markLine: s.target ? {silent: true, symbol: "none", data: [{yAxis: s.target}]} : undefined}))
    });
    charts.push(chart);
  }
  const radar = document.getElementById("trend-radar");
  if (radar && data.items.length) {
    const chart = echarts.init(radar);
    chart.setOption({
      animation: false,
      tooltip: {renderMode: "richText"},
      legend: {data: data.radar.map((r) => r.name), bottom: 0},
      radar: {indicator: data.items.map((name) => ({name: name, max: data.max})),
        radius: narrow ? "45%" : "62%", axisName: {fontSize: narrow ? 10 : 12}},
      series: [{type: "radar", data: data.radar.map((r) => ({name: r.name, value: r.value}))}]
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
