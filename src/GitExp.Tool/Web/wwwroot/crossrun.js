// Shared by the cross-run list pages (artifacts, executions): controls in the URL, the run filter, a paged table.
"use strict";
GitExp.listPage = ({ title, api, tableId, rowsKey, controls, columns, noun, onData }) => {
  const { el } = GitExp;
  const params = new URLSearchParams(location.search);
  const state = { filter: params.get("filter") || "", page: Number(params.get("page") || 1) };
  GitExp.header();
  const page = document.getElementById("page");
  const filter = el("input", { type: "text", id: "filter", placeholder: "params.train.lr = 0.1 and status = succeeded", value: state.filter });
  // Every control is labelled; a page may name its own, else these.
  const labels = { q: "Path contains", kind: "Kind", stage: "Stage contains", status: "Status", cacheHit: "Cache hit" };
  const error = el("div", { id: "error", className: "error", role: "alert" });
  const table = el("table", { id: tableId });
  const pager = el("div", { className: "pager" });
  const empty = el("p", { className: "muted", hidden: true, text: `No ${noun}s match.` });
  for (const c of controls) {
    c.input.value = params.get(c.name) || "";
    c.input.addEventListener(c.input.tagName === "SELECT" ? "change" : "input", () => {
      clearTimeout(c.typing);
      c.typing = setTimeout(() => { state.page = 1; load(); }, c.input.tagName === "SELECT" ? 0 : 250);
    });
  }
  filter.addEventListener("keydown", e => { if (e.key === "Enter") { state.filter = filter.value; state.page = 1; load(); } });
  const wrap = el("div", { className: "table-wrap" }, table);
  page.append(el("h1", { text: title }),
    el("div", { className: "toolbar" }, ...controls.map(c => GitExp.field(c.label || labels[c.name] || c.name, c.input)), GitExp.field("Run filter", filter, "wide")),
    error, wrap, empty, pager);

  function render(data) {
    const head = el("tr", {}, ...columns.map(c => el("th", { text: c.label, scope: "col" })));
    const body = el("tbody");
    for (const row of data[rowsKey]) {
      body.append(el("tr", { dataset: { run: row.runId } }, ...columns.map(c => {
        const cell = el("td", { className: c.className ? c.className(row) : "", dataset: { column: c.id } });
        const content = c.render(row);
        if (content instanceof Node) cell.append(content); else cell.textContent = content == null ? "" : String(content);
        return cell;
      })));
    }
    table.replaceChildren(el("thead", {}, head), body);
    empty.hidden = data[rowsKey].length > 0;
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    pager.replaceChildren(
      el("button", { text: "‹ Prev", disabled: data.page <= 1, onclick: () => { state.page--; load(); } }),
      el("span", { id: "page-info", text: `Page ${data.page} of ${pages} · ${data.total} ${noun}${data.total === 1 ? "" : "s"}` }),
      el("button", { text: "Next ›", disabled: data.page >= pages, onclick: () => { state.page++; load(); } }));
  }

  // Loads can overlap (two controls changed quickly); only the latest one's answer is shown.
  let latest = 0;
  async function load() {
    const query = new URLSearchParams({ filter: state.filter, page: state.page });
    for (const c of controls) query.set(c.name, c.input.value);
    history.replaceState(null, "", location.pathname + "?" + query);
    const mine = ++latest;
    try {
      const data = await GitExp.api(api + "?" + query);
      if (mine !== latest) return;
      error.textContent = "";
      if (onData) onData(data);
      render(data);
    } catch (e) {
      if (mine !== latest) return;
      error.textContent = e.message;
    }
    document.body.dataset.loaded = String(Date.now());
  }

  load();
};

// A <select> whose options are "" (any) and the values the server reports, keeping the current choice.
GitExp.fillSelect = (select, anyLabel, values) => {
  const current = select.value;
  const all = [...new Set([...(values || []), ...(current ? [current] : [])])];
  select.replaceChildren(GitExp.el("option", { value: "", text: anyLabel }), ...all.map(v => GitExp.el("option", { value: v, text: v })));
  select.value = current;
};

GitExp.runLink = row => GitExp.el("a", { href: "/run?id=" + encodeURIComponent(row.runId), text: row.runName || row.runId.slice(0, 8), title: row.runTitle || row.runId });
