// The runs page: filter, free-text search, group, sortable columns, a column chooser, bookmarks, archived view, paging, compare.
"use strict";
(() => {
  const { api, el, value, shortKey, time, duration } = GitExp;
  const params = new URLSearchParams(location.search);
  const state = {
    filter: params.get("filter") || "", q: params.get("q") || "", sort: params.get("sort") || "created",
    order: params.get("order") || "desc", page: Number(params.get("page") || 1), archived: params.get("archived") === "true",
    group: params.get("group") || "", status: params.get("status") || "",
  };
  const selected = new Set();
  const hidden = new Set(JSON.parse(localStorage.getItem("gitexp.hiddenColumns") || '["group","tags","commit"]'));
  let lastData = null;

  GitExp.header();
  const page = document.getElementById("page");
  const filter = el("input", { type: "text", id: "filter", placeholder: "filter: metrics.acc > 0.9 and status = succeeded", value: state.filter });
  const q = el("input", { type: "search", id: "q", placeholder: "search name, title, notes, commit", value: state.q });
  const group = el("select", { id: "group", title: "Only the runs of one group" });
  const status = el("select", { id: "status", title: "Only the runs of one status" },
    ...["", "queued", "running", "succeeded", "failed", "interrupted"].map(s => el("option", { value: s, text: s || "All statuses" })));
  status.value = state.status;
  const archived = el("input", { type: "checkbox", id: "archived", checked: state.archived });
  const compare = el("button", { id: "compare", className: "primary", disabled: true, text: "Compare (0)" });
  const columnsButton = el("button", { id: "columns", text: "Columns" });
  const columnsPanel = el("div", { id: "columns-panel", hidden: true });
  const error = el("div", { id: "error", className: "error" });
  const table = el("table", { id: "runs" });
  const pager = el("div", { className: "pager" });
  page.append(
    el("h1", { text: "Runs" }),
    el("div", { className: "toolbar" }, filter, q, group, status, el("label", {}, archived, " archived"), columnsButton, compare,
      el("a", { href: "/new", id: "new-run", text: "New run" })),
    columnsPanel, error, table, pager,
  );

  filter.addEventListener("keydown", e => { if (e.key === "Enter") { state.filter = filter.value; state.page = 1; load(); } });
  let typing;
  q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { state.q = q.value; state.page = 1; load(); }, 250); });
  group.addEventListener("change", () => { state.group = group.value; state.page = 1; selected.clear(); load(); });
  status.addEventListener("change", () => { state.status = status.value; state.page = 1; selected.clear(); load(); });
  archived.addEventListener("change", () => { state.archived = archived.checked; state.page = 1; selected.clear(); load(); });
  columnsButton.addEventListener("click", () => { columnsPanel.hidden = !columnsPanel.hidden; });
  compare.addEventListener("click", () => { location.href = "/compare?ids=" + encodeURIComponent([...selected].join(",")); });

  function columns(data) {
    const fixed = [
      { id: "id", label: "Id", sort: "id", get: r => r.id.slice(0, 8) },
      { id: "name", label: "Name", sort: "name", get: r => r.name },
      { id: "title", label: "Title", sort: "title", get: r => r.title || "" },
      { id: "status", label: "Status", sort: "status", get: r => r.status },
      { id: "created", label: "Created", sort: "created", get: r => time(r.created) },
      { id: "duration", label: "Duration", sort: "duration", num: true, get: r => duration(r.duration) },
      { id: "group", label: "Group", sort: "group", get: r => r.group || "" },
      { id: "tags", label: "Tags", sort: "tags", get: r => (r.tags || []).join(", ") },
      { id: "commit", label: "Commit", sort: "commit", get: r => (r.commit || "").slice(0, 7) },
    ];
    const metrics = data.metricKeys.map(k => ({ id: "metrics." + k, label: shortKey(k), title: k, sort: "metrics." + k, num: true, get: r => value(r.metrics[k] ? r.metrics[k].last : null) }));
    const parameters = data.paramKeys.map(k => ({ id: "params." + k, label: shortKey(k), title: k, sort: "params." + k, num: true, get: r => value(k in r.params ? r.params[k] : null) }));
    return [...fixed, ...metrics, ...parameters];
  }

  function visible(column) { return !hidden.has(column.id); }

  function renderChooser(all) {
    columnsPanel.replaceChildren(...all.map(c => el("label", {},
      el("input", { type: "checkbox", checked: visible(c), dataset: { column: c.id }, onchange: e => {
        if (e.target.checked) hidden.delete(c.id); else hidden.add(c.id);
        localStorage.setItem("gitexp.hiddenColumns", JSON.stringify([...hidden]));
        render(lastData);
      } }), " " + (c.title || c.label))));
  }

  function render(data) {
    const all = columns(data);
    renderChooser(all);
    const shown = all.filter(visible);
    const head = el("tr", {}, el("th", { text: "" }), el("th", { text: "★" }));
    for (const c of shown) {
      const th = el("th", { text: c.label, title: c.title || "", dataset: { column: c.id } });
      if (c.sort) {
        th.classList.add("sortable");
        if (state.sort === c.sort) th.classList.add(state.order === "asc" ? "sorted-asc" : "sorted-desc");
        th.addEventListener("click", () => {
          state.order = state.sort === c.sort && state.order === "desc" ? "asc" : "desc";
          state.sort = c.sort; state.page = 1; load();
        });
      }
      head.append(th);
    }
    const body = el("tbody");
    for (const run of data.runs) {
      const pick = el("input", { type: "checkbox", className: "select", checked: selected.has(run.id), title: "select for comparison" });
      pick.addEventListener("change", () => { if (pick.checked) selected.add(run.id); else selected.delete(run.id); updateCompare(); });
      const star = el("button", { className: "star" + (run.bookmarked ? " on" : ""), text: "★", title: run.bookmarked ? "remove bookmark" : "bookmark" });
      star.addEventListener("click", async () => {
        try { await api("/api/runs/" + encodeURIComponent(run.id) + "/bookmark?on=" + !run.bookmarked, { method: "POST" }); load(); }
        catch (e) { error.textContent = e.message; }
      });
      const row = el("tr", { dataset: { id: run.id } }, el("td", {}, pick), el("td", {}, star));
      for (const c of shown) {
        const cell = el("td", { className: c.num ? "num" : "", dataset: { column: c.id } });
        if (c.id === "id" || c.id === "name") {
          cell.append(el("a", { href: "/run?id=" + encodeURIComponent(run.id), text: c.get(run) || "-" }));
        } else {
          cell.textContent = c.get(run);
          if (c.id === "status") cell.className = "status-" + run.status;
        }
        row.append(cell);
      }
      body.append(row);
    }
    table.replaceChildren(el("thead", {}, head), body);
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    const prev = el("button", { text: "‹ Prev", disabled: data.page <= 1, onclick: () => { state.page--; load(); } });
    const next = el("button", { text: "Next ›", disabled: data.page >= pages, onclick: () => { state.page++; load(); } });
    pager.replaceChildren(prev, el("span", { id: "page-info", text: `Page ${data.page} of ${pages} · ${data.total} run${data.total === 1 ? "" : "s"}` }), next);
    if (data.runs.length === 0) table.after(el("p", { className: "muted", text: "No runs match." }));
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
  }

  async function load() {
    const query = new URLSearchParams({ filter: state.filter, q: state.q, sort: state.sort, order: state.order, page: state.page, pageSize: 25, archived: state.archived, group: state.group, status: state.status });
    history.replaceState(null, "", "/?" + new URLSearchParams({ filter: state.filter, q: state.q, sort: state.sort, order: state.order, page: state.page, archived: state.archived, group: state.group, status: state.status }));
    try {
      const [data, groups] = await Promise.all([api("/api/runs?" + query), api("/api/groups?archived=" + state.archived)]);
      renderGroups(groups.groups);
      error.textContent = "";
      document.querySelectorAll("p.muted").forEach(p => p.remove());
      lastData = data;
      render(data);
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      error.textContent = e.message;
      document.body.dataset.loaded = String(Date.now());
    }
    updateCompare();
  }

  // The store changed (a run started, logged or finished, here or on the command line): refresh, at most every second.
  let changed = null;
  const events = new EventSource("/api/events");
  events.addEventListener("runs-changed", () => { if (!changed) changed = setTimeout(() => { changed = null; load(); }, 1000); });
  window.addEventListener("pagehide", () => events.close());

  load();
})();
