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
    return el("table", { id }, el("thead", {}, head), body);
  }

  function render() {
    const plots = el("div", { className: "plots", id: "plots" });
    page.replaceChildren(
      el("h1", { text: `Compare ${data.runs.length} runs` }),
      el("div", { className: "toolbar" }, el("label", {}, onlyChanged, " only changed"), csv), error,
      el("h2", { text: "Params" }), section("params", "Param", data.params, false),
      el("h2", { text: "Metrics" }), section("metrics", "Metric", data.metrics, true),
      el("h2", { text: "Step plots" }), plots,
    );
    for (const m of data.metrics.filter(m => m.histories)) {
      plot(plots, m.key, data.runs.map((r, i) => ({ label: label(r), points: m.histories[i] })));
    }
    document.body.dataset.loaded = String(Date.now());
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
