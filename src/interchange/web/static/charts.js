// Charts of the steward console and the ministry's view, drawn with the vendored Chart.js from the
// JSON blocks a page carries (<script type="application/json" class="chart-data">): no inline script
// runs (the content security policy allows none). An indicator's suppressed period is null: a gap.
(function () {
  if (typeof Chart === "undefined") { return; }
  Chart.defaults.animation = false;  // drawn at once: a page read once, and a screenshot shows it whole
  var colours = ["#0b5cad", "#b3261e", "#c98a00", "#1f7a3d", "#6b4fa0", "#00838f", "#8d6e63", "#5b6875"];

  function completeness(data, names) {
    var months = [], orgs = [];
    data.rows.forEach(function (r) {
      if (months.indexOf(r.month) < 0) { months.push(r.month); }
      if (orgs.indexOf(r.org) < 0) { orgs.push(r.org); }
    });
    var sets = [];
    orgs.forEach(function (org, i) {
      ["received", "held", "quarantined"].forEach(function (what, j) {
        sets.push({
          label: org + " – " + names[j],
          backgroundColor: colours[i % colours.length] + ["ff", "88", "44"][j],
          data: months.map(function (m) {
            var row = data.rows.find(function (r) { return r.org === org && r.month === m; });
            return row ? row[what] : 0;
          })
        });
      });
    });
    return { type: "bar", data: { labels: months, datasets: sets },
             options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } } };
  }

  function progress(data, names) {
    return { type: "bar", data: { labels: data.labels, datasets: [
      { label: names[0], data: data.values, backgroundColor: colours[0] },
      { label: names[1], data: data.targets, backgroundColor: colours[2] + "88" }] },
      options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true } } } };
  }

  function series(data, names) {
    return { type: "line", data: { labels: data.labels, datasets: [
      { label: names[0], data: data.values, borderColor: colours[0], backgroundColor: colours[0], spanGaps: false }] },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } } };
  }

  var kinds = { completeness: completeness, progress: progress, series: series };
  document.querySelectorAll("script.chart-data").forEach(function (block) {
    var data = JSON.parse(block.textContent);
    var canvas = document.getElementById(block.dataset.canvas);
    var make = kinds[data.type];
    if (!canvas || !make) { return; }
    new Chart(canvas, make(data, (block.dataset.labels || "").split("|")));
  });
})();
