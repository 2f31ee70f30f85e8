// The compare page: params and metrics side by side, differences highlighted, "only changed", overlaid plots, CSV.
"use strict";
(() => {
  const { api, el, value, plot } = GitExp;
  const params = new URLSearchParams(location.search);
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error" });
  const onlyChanged = el("input", { type: "checkbox", id: "only-changed" });
  const csv = el("button", { id: "csv", text: "Export CSV" });
  let data = null;
  let artifacts = [];
  let chosenArtifact = params.get("artifact") || "";

  function label(run) { return run.title ? `${run.name || run.id.slice(0, 8)} (${run.title})` : run.name || run.id.slice(0, 8); }

  function section(id, title, rows, deltas) {
    const head = el("tr", {}, el("th", { text: title }), ...data.runs.map(r => {
      const th = el("th", {}, el("a", { href: "/run?id=" + encodeURIComponent(r.id), text: label(r) }));
      if (r.id === data.pinned) th.append(el("span", { className: "delta", text: "pinned" }));
      else th.append(el("button", { className: "pin", text: "pin", title: "show deltas against this run", onclick: () => { params.set("pin", r.id); load(); } }));
      return th;
    }));
    const body = el("tbody");
    for (const row of rows) {
      if (onlyChanged.checked && !row.differs) continue;
      const tr = el("tr", { className: row.differs ? "differs" : "", dataset: { key: row.key } }, el("td", { text: row.key }));
      row.values.forEach((v, i) => {
        const td = el("td", { className: "num value", text: value(v) });
        if (deltas && row.deltas && row.deltas[i] != null && data.runs[i].id !== data.pinned && row.deltas[i] !== 0) {
          const d = row.deltas[i];
          td.append(el("span", { className: "delta", text: (d > 0 ? "+" : "") + value(d) }));
        }
        tr.append(td);
      });
      body.append(tr);
    }
    return el("div", { className: "table-wrap" }, el("table", { id }, el("thead", {}, head), body));
  }

  function render() {
    parallelCleanup();
    const plots = el("div", { className: "plots", id: "plots" });
    page.replaceChildren(
      el("h1", { text: `Compare ${data.runs.length} runs` }),
      el("div", { className: "toolbar" }, el("label", {}, onlyChanged, " only changed"), csv), error,
      el("h2", { text: "Params" }), section("params", "Param", data.params, false),
      el("h2", { text: "Metrics" }), section("metrics", "Metric", data.metrics, true),
      el("h2", { text: "Step plots" }), plots,
      el("h2", { text: "Parallel coordinates" }), parallel(),
      el("h2", { text: "Artifacts side by side" }), artifactsSideBySide(),
    );
    for (const m of data.metrics.filter(m => m.histories)) {
      plot(plots, m.key, data.runs.map((r, i) => ({ label: label(r), points: m.histories[i] })));
    }
    document.body.dataset.loaded = String(Date.now());
  }

  // Params and metrics with a number in some run as axes (with "only changed", those that differ), each scaled to
  // 0..1 over its min..max; one uPlot series per run over the axis index. The chart is as wide as the page; each axis
  // shows its own values at five ticks; a run without a value on an axis has a gap there, not a line across it.
  function parallel() {
    const box = el("div", { id: "parallel", className: "plot" });
    const axes = [...data.params, ...data.metrics]
      .filter(row => !onlyChanged.checked || row.differs)
      .map(row => ({ key: row.key, values: row.values.map(v => (typeof v === "number" ? v : null)) }))
      .filter(a => a.values.some(v => v !== null))
      .map(a => {
        const present = a.values.filter(v => v !== null);
        return { ...a, min: Math.min(...present), max: Math.max(...present) };
      });
    if (axes.length < 2) {
      box.append(el("p", { className: "muted", text: onlyChanged.checked ? "Needs two or more numeric params or metrics that differ." : "Needs two or more numeric params or metrics." }));
      return box;
    }
    const xs = axes.map((_, i) => i);
    const names = axes.map(a => GitExp.shortKey(a.key));
    const scaled = data.runs.map((_, r) => axes.map(a => {
      const v = a.values[r];
      return v === null ? null : a.max === a.min ? 0.5 : (v - a.min) / (a.max - a.min);
    }));
    const ticks = [0, 0.25, 0.5, 0.75, 1];
    // Enough significant digits to tell an axis's ticks apart (1.002 .. 1.004 needs four), fewer when axes are crowded.
    let digits = 4;
    const needed = a => Math.min(6, Math.max(digits, Math.ceil(Math.log10(Math.max(Math.abs(a.max), Math.abs(a.min)) / (a.max - a.min))) + 2));
    const tickText = (a, t) => (a.max === a.min ? (t === 0.5 ? value(a.min) : "") : value(Number((a.min + t * (a.max - a.min)).toPrecision(needed(a)))));
    // Each axis's own values, written beside it at the ticks (uPlot's y axis is shared, so it shows none).
    const labelTicks = u => {
      const ctx = u.ctx;
      ctx.save();
      // Crowded axes get shorter numbers, so one axis's labels stay clear of the next.
      const spacing = (u.valToPos(1, "x") - u.valToPos(0, "x"));
      digits = spacing < 60 ? 2 : spacing < 90 ? 3 : 4;
      ctx.font = `${Math.round((spacing < 60 ? 10 : 11) * devicePixelRatio)}px system-ui, sans-serif`;
      ctx.fillStyle = "#475467";
      ctx.textBaseline = "middle";
      ctx.textAlign = "left";
      axes.forEach((a, i) => {
        const x = u.valToPos(i, "x", true);
        for (const t of ticks) {
          const y = u.valToPos(t, "y", true);
          ctx.fillRect(x - 3 * devicePixelRatio, y, 6 * devicePixelRatio, devicePixelRatio);
          ctx.fillText(tickText(a, t), x + 4 * devicePixelRatio, y);
        }
      });
      ctx.restore();
    };
    const width = () => Math.max(360, Math.min(page.clientWidth - 64, Math.max(480, axes.length * 160)));
    const crowded = width() / axes.length < 110;
    requestAnimationFrame(() => {
      const chart = new uPlot({
        width: width(), height: 320,
        scales: { x: { time: false, range: () => [-0.15, axes.length - 0.4] }, y: { range: () => [-0.05, 1.05] } },
        axes: [
          { splits: () => xs, values: (u, splits) => splits.map(i => names[i] ?? ""), grid: { show: true, stroke: "#98a2b3", width: 1 }, rotate: crowded ? -30 : 0, size: crowded ? 80 : 40 },
          { splits: () => ticks, values: () => ticks.map(() => ""), grid: { show: false }, size: 10 },
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: { draw: [labelTicks] },
        series: [
          { label: "axis", value: (u, i) => (i == null ? "-" : names[i]) },
          ...data.runs.map((r, ri) => ({
            label: label(r), stroke: colorOf(ri), width: 2, points: { show: true, size: 6 }, spanGaps: false,
            value: (u, v, si, i) => (i == null ? "-" : value(axes[i].values[ri])),
          })),
        ],
      }, [xs, ...scaled], box);
      box.dataset.axes = String(axes.length);
      box.chart = chart;
      const resize = () => chart.setSize({ width: width(), height: 320 });
      window.addEventListener("resize", resize);
      parallelCleanup = () => window.removeEventListener("resize", resize);
    });
    return box;
  }

  let parallelCleanup = () => {};

  function colorOf(i) { return ["#2f6fde", "#e4572e", "#17a398", "#a23b72", "#f3a712", "#6a4c93", "#3d9970", "#ff6f91", "#0074d9", "#85144b"][i % 10]; }

  // One artifact path, chosen among those the runs have, shown for each run: images inline, anything else as a link.
  function artifactsSideBySide() {
    const box = el("div", { id: "artifact-side" });
    const paths = [...new Set(artifacts.flatMap(list => list.map(a => a.path)))].sort();
    if (paths.length === 0) {
      box.append(el("p", { className: "muted", text: "The runs have no artifacts." }));
      return box;
    }
    const isImage = p => /\.(png|jpe?g|gif|svg|webp)$/i.test(p);
    if (!paths.includes(chosenArtifact)) chosenArtifact = paths.find(isImage) || paths[0];
    const select = el("select", { id: "artifact-path" }, ...paths.map(p => {
      const count = artifacts.filter(list => list.some(a => a.path === p)).length;
      return el("option", { value: p, text: `${p} (${count} of ${data.runs.length} runs)` });
    }));
    select.value = chosenArtifact;
    const grid = el("div", { className: "artifact-grid" });
    const show = () => {
      chosenArtifact = select.value;
      grid.replaceChildren(...data.runs.map((r, i) => {
        const found = artifacts[i].find(a => a.path === chosenArtifact);
        const cell = el("div", { className: "artifact-cell", dataset: { run: r.id } }, el("div", {}, el("a", { href: "/run?id=" + encodeURIComponent(r.id), text: label(r) })));
        if (!found) { cell.append(el("p", { className: "muted", text: "not in this run" })); return cell; }
        const url = "/api/runs/" + encodeURIComponent(r.id) + "/artifacts/" + found.path.split("/").map(encodeURIComponent).join("/");
        cell.append(el("div", { className: "muted", text: `${found.kind} · ${GitExp.size(found.size)} · ${found.sha256.slice(0, 12)}` }));
        cell.append(isImage(found.path) ? el("img", { src: url, alt: found.path }) : el("a", { href: url, text: found.path }));
        return cell;
      }));
    };
    select.addEventListener("change", show);
    show();
    box.append(el("div", { className: "toolbar" }, el("label", {}, "Artifact ", select)), grid);
    return box;
  }

  function exportCsv() {
    const quote = t => /[",\n]/.test(t) ? '"' + t.replaceAll('"', '""') + '"' : t;
    const lines = [["kind", "key", ...data.runs.map(r => r.id)]];
    for (const [kind, rows] of [["param", data.params], ["metric", data.metrics]]) {
      for (const row of rows) if (!onlyChanged.checked || row.differs) lines.push([kind, row.key, ...row.values.map(v => (v == null ? "" : value(v)))]);
    }
    const blob = new Blob([lines.map(l => l.map(quote).join(",")).join("\n") + "\n"], { type: "text/csv" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "gitexp-compare.csv" });
    document.body.append(link); link.click(); link.remove();
  }

  onlyChanged.addEventListener("change", render);
  csv.addEventListener("click", exportCsv);

  async function load() {
    try {
      data = await api("/api/compare?" + new URLSearchParams({ ids: params.get("ids") || "", pin: params.get("pin") || "" }));
      artifacts = await Promise.all(data.runs.map(r => api("/api/runs/" + encodeURIComponent(r.id)).then(d => d.artifacts || [], () => [])));
      history.replaceState(null, "", "/compare?" + params);
      render();
    } catch (e) {
      page.replaceChildren(el("h1", { text: "Compare" }), error);
      error.textContent = e.message;
      document.body.dataset.loaded = String(Date.now());
    }
  }

  load();
})();
