// The runs page: filter, free-text search, group, sortable columns grouped as run / params / metrics, a column chooser
// (by default the params and metrics that differ across the shown runs), bookmarks, archived view, paging, compare.
"use strict";
(() => {
  const { api, el, value, shortKey, time, duration } = GitExp;
  const params = new URLSearchParams(location.search);
  const state = {
    filter: params.get("filter") || "", q: params.get("q") || "", sort: params.get("sort") || "created",
    order: params.get("order") || "desc", page: Number(params.get("page") || 1), archived: params.get("archived") === "true",
    deleted: params.get("deleted") === "true",
    group: params.get("group") || "", status: params.get("status") || "",
    view: params.get("view") === "chart" ? "chart" : "table", x: params.get("x") || "created", y: params.get("y") || "",
  };
  const selected = new Set();
  // The run columns hidden until chosen; params and metrics are shown by default when their values differ.
  const hiddenByDefault = new Set(["group", "tags", "commit"]);
  let prefs = { shown: [], hidden: [], all: false };
  let prefsKey = null;
  let lastData = null;

  GitExp.header();
  const page = document.getElementById("page");
  const filter = el("input", { type: "text", id: "filter", placeholder: "metrics.acc > 0.9 and status = succeeded", value: state.filter });
  const q = el("input", { type: "search", id: "q", placeholder: "name, title, notes, commit", value: state.q });
  const group = el("select", { id: "group" });
  const status = el("select", { id: "status" },
    ...["", "queued", "running", "succeeded", "failed", "interrupted"].map(s => el("option", { value: s, text: s || "All statuses" })));
  status.value = state.status;
  // Which runs: those in use, the archived ones, or the deleted ones (which can be restored).
  const show = el("select", { id: "show" },
    el("option", { value: "", text: "Runs" }), el("option", { value: "archived", text: "Archived" }), el("option", { value: "deleted", text: "Deleted" }));
  show.value = state.deleted ? "deleted" : state.archived ? "archived" : "";
  const remove = el("button", { id: "delete-selected", text: "Delete (0)", disabled: true });
  const restore = el("button", { id: "restore-selected", text: "Restore (0)", disabled: true });
  const deletedNote = el("p", { className: "deleted-note", id: "deleted-note", hidden: true,
    text: "Deleted runs: they are left out of every list until restored; 'dotnet exp runs purge' removes them for good (their experiments stay in Git)." });
  const compare = el("button", { id: "compare", className: "primary", disabled: true, text: "Compare (0)" });
  const columnsButton = el("button", { id: "columns", text: "Columns", ariaExpanded: "false", ariaControls: "columns-panel" });
  const allColumns = el("input", { type: "checkbox", id: "all-columns" });
  const columnsPanel = el("div", { id: "columns-panel", hidden: true });
  const error = el("div", { id: "error", className: "error", role: "alert" });
  const table = el("table", { id: "runs" });
  const tableWrap = el("div", { className: "table-wrap", id: "runs-wrap" }, table);
  const empty = el("p", { className: "muted", id: "no-runs", hidden: true, text: "No runs match." });
  const pager = el("div", { className: "pager" });
  const tableButton = el("button", { id: "view-table", text: "Table", onclick: () => setView("table") });
  const chartButton = el("button", { id: "view-chart", text: "Chart", onclick: () => setView("chart") });
  const chartY = el("select", { id: "chart-y" });
  const chartX = el("select", { id: "chart-x" });
  const chartInfo = el("span", { id: "chart-info", className: "muted" });
  const chartBox = el("div", { id: "runs-chart", className: "plot" });
  const tableView = el("div", { id: "table-view" });
  const chartView = el("div", { id: "chart-view", hidden: true },
    el("div", { className: "toolbar" }, GitExp.field("Metric (y)", chartY), GitExp.field("Against (x)", chartX), chartInfo), chartBox);
  page.append(
    el("h1", { text: "Runs" }),
    el("div", { className: "toolbar" },
      GitExp.field("Filter", filter, "wide"), GitExp.field("Search", q), GitExp.field("Group", group), GitExp.field("Status", status),
      GitExp.field("Show", show)),
    el("div", { className: "toolbar" },
      el("div", { className: "segmented", role: "group", "aria-label": "View" }, tableButton, chartButton),
      columnsButton, el("label", { className: "check", title: "Show every column, also those whose values are the same in every shown run" }, allColumns, " All columns"),
      el("span", { id: "columns-info", className: "muted" }), compare, remove, restore, el("a", { href: "/new", id: "new-run", text: "New run" })),
    error, deletedNote, tableView, chartView,
  );
  tableView.append(columnsPanel, tableWrap, empty, pager);

  filter.addEventListener("keydown", e => { if (e.key === "Enter") { state.filter = filter.value; state.page = 1; load(); } });
  let typing;
  q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { state.q = q.value; state.page = 1; load(); }, 250); });
  group.addEventListener("change", () => { state.group = group.value; state.page = 1; selected.clear(); load(); });
  status.addEventListener("change", () => { state.status = status.value; state.page = 1; selected.clear(); load(); });
  show.addEventListener("change", () => {
    state.archived = show.value === "archived"; state.deleted = show.value === "deleted"; state.page = 1; selected.clear(); load();
  });
  remove.addEventListener("click", async () => {
    const ids = [...selected];
    const names = ids.map(id => lastData.runs.find(r => r.id === id)?.name || id.slice(0, 8));
    const question = ids.length === 1 ? `Delete run ${names[0]}?` : `Delete ${ids.length} runs (${names.join(", ")})?`;
    if (!(await GitExp.confirm(question + " It leaves every list; the Deleted view can restore it.", "Delete"))) return;
    await edit(ids, "delete");
  });
  restore.addEventListener("click", () => edit([...selected], "restore"));

  // Deletes or restores runs one after the other (the same endpoints as the run page), then shows the list again.
  async function edit(ids, action) {
    try {
      for (const id of ids) await api("/api/runs/" + encodeURIComponent(id) + "/" + action, { method: "POST" });
      selected.clear();
    } catch (e) { error.textContent = e.message; }
    load();
  }
  columnsButton.addEventListener("click", () => {
    columnsPanel.hidden = !columnsPanel.hidden;
    columnsButton.setAttribute("aria-expanded", String(!columnsPanel.hidden));
  });
  allColumns.addEventListener("change", () => { prefs.all = allColumns.checked; savePrefs(); render(lastData); });
  chartY.addEventListener("change", () => { state.y = chartY.value; drawChart(); });
  chartX.addEventListener("change", () => { state.x = chartX.value; drawChart(); });
  compare.addEventListener("click", () => { location.href = "/compare?ids=" + encodeURIComponent([...selected].join(",")); });

  // The column choice is kept per project: the UI's port changes between starts, the project's path does not.
  function loadPrefs(project) {
    const key = "gitexp.columns:" + project;
    if (key === prefsKey) return;
    prefsKey = key;
    try { prefs = { shown: [], hidden: [], all: false, ...JSON.parse(localStorage.getItem(key) || "{}") }; }
    catch { prefs = { shown: [], hidden: [], all: false }; }
    allColumns.checked = prefs.all;
  }

  function savePrefs() { localStorage.setItem(prefsKey, JSON.stringify(prefs)); }

  // Whether a param's or metric's value differs between the runs shown (a run without it counts as a value).
  function differs(runs, read) {
    if (runs.length < 2) return true;
    const first = JSON.stringify(read(runs[0]) ?? null);
    return runs.some(r => JSON.stringify(read(r) ?? null) !== first);
  }

  function columns(data) {
    const fixed = [
      { id: "id", label: "Id", sort: "id", sticky: true, get: r => r.id.slice(0, 8) },
      { id: "name", label: "Name", sort: "name", sticky: true, get: r => r.name },
      { id: "title", label: "Title", sort: "title", get: r => r.title || "" },
      { id: "status", label: "Status", sort: "status", get: r => r.status },
      { id: "created", label: "Created", sort: "created", get: r => time(r.created) },
      { id: "duration", label: "Duration", sort: "duration", num: true, get: r => duration(r.duration) },
      { id: "group", label: "Group", sort: "group", get: r => r.group || "" },
      { id: "tags", label: "Tags", sort: "tags", get: r => (r.tags || []).join(", ") },
      { id: "commit", label: "Commit", sort: "commit", get: r => (r.commit || "").slice(0, 7) },
    ].map(c => ({ ...c, kind: "run", byDefault: !hiddenByDefault.has(c.id) }));
    const readParam = k => r => (k in r.params ? r.params[k] : null);
    const readMetric = k => r => (r.metrics[k] ? r.metrics[k].last : null);
    const parameters = data.paramKeys.map(k => ({
      id: "params." + k, kind: "param", label: shortKey(k), title: k, sort: "params." + k, num: true,
      byDefault: differs(data.runs, readParam(k)), get: r => value(readParam(k)(r)),
    }));
    const metrics = data.metricKeys.map(k => ({
      id: "metrics." + k, kind: "metric", label: shortKey(k), title: k, sort: "metrics." + k, num: true,
      byDefault: differs(data.runs, readMetric(k)), get: r => value(readMetric(k)(r)),
    }));
    return [...fixed, ...parameters, ...metrics];
  }

  function visible(column) {
    if (column.sticky || prefs.all) return true;
    if (prefs.hidden.includes(column.id)) return false;
    if (prefs.shown.includes(column.id)) return true;
    return column.byDefault;
  }

  function choose(column, show) {
    prefs.shown = prefs.shown.filter(id => id !== column.id);
    prefs.hidden = prefs.hidden.filter(id => id !== column.id);
    if (show !== column.byDefault) (show ? prefs.shown : prefs.hidden).push(column.id);
    savePrefs();
    render(lastData);
  }

  const groupNames = { run: "Run", param: "Params", metric: "Metrics" };

  function renderChooser(all) {
    const sections = [];
    for (const kind of ["run", "param", "metric"]) {
      const list = all.filter(c => c.kind === kind && !c.sticky);
      if (list.length === 0) continue;
      sections.push(el("fieldset", { className: "chooser-" + kind },
        el("legend", { text: groupNames[kind] }),
        ...list.map(c => el("label", { title: c.byDefault ? "" : "the same in every shown run" },
          el("input", { type: "checkbox", checked: visible(c), disabled: prefs.all, dataset: { column: c.id }, onchange: e => choose(c, e.target.checked) }),
          " " + (c.title || c.label), c.byDefault ? null : el("span", { className: "muted", text: " (same)" })))));
    }
    const reset = el("button", { id: "columns-reset", text: "Back to the default", onclick: () => { prefs = { shown: [], hidden: [], all: false }; allColumns.checked = false; savePrefs(); render(lastData); } });
    columnsPanel.replaceChildren(...sections, el("div", {}, reset));
  }

  function header(shown) {
    // Row 1 names the column groups; the sticky columns (select, bookmark, id, name) sit under an empty corner cell.
    const groups = el("tr", { className: "groups" }, el("th", { className: "corner", colSpan: 4 }));
    let previous = null;
    for (const c of shown.filter(c => !c.sticky)) {
      if (c.kind !== previous) {
        groups.append(el("th", { className: "group group-" + c.kind, colSpan: 1, scope: "colgroup" }, el("span", { text: groupNames[c.kind] })));
        previous = c.kind;
      } else {
        groups.lastChild.colSpan++;
      }
    }
    const head = el("tr", {}, el("th", { className: "sticky s-select" }, el("span", { className: "visually-hidden", text: "Select" })),
      el("th", { className: "sticky s-star", title: "Bookmarked" }, el("span", { "aria-hidden": "true", text: "★" }), el("span", { className: "visually-hidden", text: "Bookmarked" })));
    previous = null;
    for (const c of shown) {
      const th = el("th", { text: c.label, title: c.title || "", scope: "col", dataset: { column: c.id }, className: cellClass(c, previous) });
      previous = c.kind;
      if (c.sort) {
        th.classList.add("sortable");
        th.tabIndex = 0;
        if (state.sort === c.sort) {
          th.classList.add(state.order === "asc" ? "sorted-asc" : "sorted-desc");
          th.setAttribute("aria-sort", state.order === "asc" ? "ascending" : "descending");
        }
        const sort = () => {
          state.order = state.sort === c.sort && state.order === "desc" ? "asc" : "desc";
          state.sort = c.sort; state.page = 1; load();
        };
        th.addEventListener("click", sort);
        th.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      }
      head.append(th);
    }
    return el("thead", {}, groups, head);
  }

  // A column's classes: its group's tint, a rule before the first of each group, sticky for id and name.
  function cellClass(c, previousKind) {
    const classes = ["k-" + c.kind];
    if (c.sticky) classes.push("sticky", "s-" + c.id);
    if (c.kind !== previousKind && previousKind !== null && !c.sticky) classes.push("group-start");
    if (c.num) classes.push("num");
    return classes.join(" ");
  }

  function render(data) {
    loadPrefs(data.project || "");
    const all = columns(data);
    renderChooser(all);
    const shown = all.filter(visible);
    const hiddenCount = all.length - shown.length;
    document.getElementById("columns-info").textContent = hiddenCount === 0 ? "" : `${hiddenCount} column${hiddenCount === 1 ? "" : "s"} hidden`;
    const body = el("tbody");
    for (const run of data.runs) {
      const pick = el("input", { type: "checkbox", className: "select", checked: selected.has(run.id), title: "select for comparison", ariaLabel: "Select " + (run.name || run.id) });
      pick.addEventListener("change", () => { if (pick.checked) selected.add(run.id); else selected.delete(run.id); updateCompare(); });
      const star = el("button", { className: "star" + (run.bookmarked ? " on" : ""), text: "★", title: run.bookmarked ? "remove bookmark" : "bookmark", ariaLabel: (run.bookmarked ? "Remove bookmark of " : "Bookmark ") + (run.name || run.id), ariaPressed: String(!!run.bookmarked) });
      star.addEventListener("click", async () => {
        try { await api("/api/runs/" + encodeURIComponent(run.id) + "/bookmark?on=" + !run.bookmarked, { method: "POST" }); load(); }
        catch (e) { error.textContent = e.message; }
      });
      const row = el("tr", { dataset: { id: run.id } }, el("td", { className: "sticky s-select" }, pick), el("td", { className: "sticky s-star" }, star));
      let previous = null;
      for (const c of shown) {
        const cell = el("td", { className: cellClass(c, previous), dataset: { column: c.id } });
        previous = c.kind;
        const text = c.get(run);
        if (c.id === "id" || c.id === "name") {
          cell.append(el("a", { href: "/run?id=" + encodeURIComponent(run.id), text: text || "-", title: c.id === "name" ? text : run.id }));
        } else {
          cell.textContent = text;
          if (text && text.length > 24) cell.title = text;
          if (c.id === "status") cell.classList.add("status-" + run.status);
        }
        row.append(cell);
      }
      if (state.deleted) {
        row.append(el("td", { className: "actions" }, el("button", { className: "restore", text: "Restore", ariaLabel: "Restore " + (run.name || run.id), onclick: () => edit([run.id], "restore") })));
      }
      body.append(row);
    }
    const head = header(shown);
    if (state.deleted) {
      head.firstChild.append(el("th", { className: "corner-end" }));
      head.lastChild.append(el("th", { scope: "col", text: "Restore" }));
    }
    table.replaceChildren(head, body);
    // A group's name stays in view beside the sticky columns while its columns scroll under them.
    table.style.setProperty("--sticky-width", table.querySelector("th.corner").offsetWidth + "px");
    empty.hidden = data.runs.length > 0;
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    const prev = el("button", { text: "‹ Prev", disabled: data.page <= 1, onclick: () => { state.page--; load(); } });
    const next = el("button", { text: "Next ›", disabled: data.page >= pages, onclick: () => { state.page++; load(); } });
    pager.replaceChildren(prev, el("span", { id: "page-info", text: `Page ${data.page} of ${pages} · ${data.total} run${data.total === 1 ? "" : "s"}` }), next);
  }

  // The groups of the runs shown (archived or not), with their counts; the chosen one stays even when it has none.
  function renderGroups(groups) {
    const options = [el("option", { value: "", text: "All groups" })];
    if (state.group && !groups.some(g => g.name === state.group)) groups = [...groups, { name: state.group, runs: 0 }];
    for (const g of groups) options.push(el("option", { value: g.name, text: `${g.name} (${g.runs})` }));
    group.replaceChildren(...options);
    group.value = state.group;
  }

  function updateCompare() {
    compare.textContent = `Compare (${selected.size})`;
    compare.disabled = selected.size < 2 || selected.size > 10;
    remove.textContent = `Delete (${selected.size})`;
    remove.disabled = selected.size === 0;
    remove.hidden = state.deleted;
    restore.textContent = `Restore (${selected.size})`;
    restore.disabled = selected.size === 0;
    restore.hidden = !state.deleted && !state.archived;
    deletedNote.hidden = !state.deleted;
  }

  async function load() {
    const query = new URLSearchParams({ filter: state.filter, q: state.q, sort: state.sort, order: state.order, page: state.page, pageSize: 25, archived: state.archived, deleted: state.deleted, group: state.group, status: state.status });
    remember();
    try {
      const [data, groups] = await Promise.all([api("/api/runs?" + query), api("/api/groups?archived=" + state.archived)]);
      renderGroups(groups.groups);
      error.textContent = "";
      lastData = data;
      render(data);
      if (state.view === "chart") drawChart();
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      error.textContent = e.message;
      document.body.dataset.loaded = String(Date.now());
    }
    updateCompare();
  }

  // Filter, search, group, status, sort, page, view and chart axes are kept in the address: a reload or a link shows the same.
  function remember() {
    const kept = { filter: state.filter, q: state.q, sort: state.sort, order: state.order, page: state.page, archived: state.archived, group: state.group, status: state.status };
    if (state.deleted) kept.deleted = true;
    if (state.view === "chart") Object.assign(kept, { view: "chart", x: state.x, y: state.y });
    history.replaceState(null, "", "/?" + new URLSearchParams(kept));
  }

  function setView(view) {
    state.view = view;
    tableView.hidden = view !== "table";
    chartView.hidden = view !== "chart";
    tableButton.setAttribute("aria-pressed", String(view === "table"));
    chartButton.setAttribute("aria-pressed", String(view === "chart"));
    columnsButton.disabled = allColumns.disabled = view !== "table";
    remember();
    if (view === "chart" && lastData) drawChart();
  }

  // uPlot is loaded when the chart view first opens, so the table's page does not pay for it.
  let uPlotLoaded = null;
  function loadUPlot() {
    if (!uPlotLoaded) {
      uPlotLoaded = new Promise((resolve, reject) => {
        document.head.append(el("link", { rel: "stylesheet", href: "/assets/uPlot.min.css" }));
        document.head.append(el("script", { src: "/assets/uPlot.iife.min.js", onload: resolve, onerror: () => reject(new Error("could not load the chart library")) }));
      });
    }
    return uPlotLoaded;
  }

  function fillAxes() {
    const metricOptions = lastData.metricKeys.map(k => el("option", { value: "metrics." + k, text: k }));
    const paramOptions = lastData.paramKeys.map(k => el("option", { value: "params." + k, text: k }));
    chartY.replaceChildren(el("optgroup", { label: "Metrics" }, ...metricOptions),
      el("optgroup", { label: "Params" }, ...lastData.paramKeys.map(k => el("option", { value: "params." + k, text: k }))),
      el("option", { value: "duration", text: "Duration (s)" }));
    chartX.replaceChildren(el("option", { value: "created", text: "Created (time)" }), el("option", { value: "duration", text: "Duration (s)" }),
      el("optgroup", { label: "Params" }, ...paramOptions),
      el("optgroup", { label: "Metrics" }, ...lastData.metricKeys.map(k => el("option", { value: "metrics." + k, text: k }))));
    if (!state.y || ![...chartY.options].some(o => o.value === state.y)) state.y = metricOptions.length ? metricOptions[0].value : "duration";
    if (![...chartX.options].some(o => o.value === state.x)) state.x = "created";
    chartY.value = state.y;
    chartX.value = state.x;
  }

  // One call for every run the filter selects, answering just the two values per run; drawn as points.
  let chart = null;
  let drawn = 0;
  async function drawChart() {
    fillAxes();
    remember();
    const mine = ++drawn;
    const query = new URLSearchParams({ filter: state.filter, q: state.q, archived: state.archived, deleted: state.deleted, group: state.group, status: state.status, x: state.x, y: state.y });
    try {
      const [data] = await Promise.all([api("/api/runs/chart?" + query), loadUPlot()]);
      if (mine !== drawn) return;
      error.textContent = "";
      const order = data.x.map((_, i) => i).sort((a, b) => data.x[a] - data.x[b]);
      const xs = order.map(i => data.x[i]), ys = order.map(i => data.y[i]);
      chartInfo.textContent = `${xs.length} of ${data.matched} run${data.matched === 1 ? "" : "s"} plotted` +
        (xs.length < data.matched ? ` (${data.matched - xs.length} without a number for ${chartY.value} or a value for ${chartX.value})` : "");
      const yLabel = chartY.selectedOptions[0]?.text || state.y, xLabel = chartX.selectedOptions[0]?.text || state.x;
      const xAxis = { label: xLabel };
      if (data.scale === "text") Object.assign(xAxis, { splits: () => data.categories.map((_, i) => i), values: (u, splits) => splits.map(i => data.categories[i] ?? "") });
      if (chart) chart.destroy();
      chartBox.replaceChildren();
      chart = new uPlot({
        width: Math.max(320, Math.min(chartView.clientWidth - 24, 1400)), height: 420,
        scales: { x: data.scale === "time" ? { time: true } : data.scale === "text" ? { time: false, range: () => [-0.5, data.categories.length - 0.5] } : { time: false } },
        axes: [xAxis, { label: yLabel }],
        cursor: { drag: { x: true, y: false } },
        series: [{ label: xLabel, value: data.scale === "text" ? (u, v) => (v == null ? "-" : data.categories[v]) : undefined },
          { label: yLabel, stroke: "#2f6fde", paths: () => null, points: { show: true, size: 7, width: 1, fill: "rgba(47,111,222,.55)" } }],
      }, [xs, ys], chartBox);
      document.body.dataset.chart = String(Date.now());
    } catch (e) {
      if (mine !== drawn) return;
      error.textContent = e.message;
      chartInfo.textContent = "";
      document.body.dataset.chart = String(Date.now());
    }
  }

  window.addEventListener("resize", () => { if (chart && state.view === "chart") chart.setSize({ width: Math.max(320, Math.min(chartView.clientWidth - 24, 1400)), height: 420 }); });

  // The store changed (a run started, logged or finished, here or on the command line): refresh, at most every second.
  let changed = null;
  const events = new EventSource("/api/events");
  events.addEventListener("runs-changed", () => { if (!changed) changed = setTimeout(() => { changed = null; load(); }, 1000); });
  window.addEventListener("pagehide", () => events.close());

  setView(state.view);
  load();
})();
