// The experiments page. An experiment is a named group of runs (a run's group): the list shows each with its run
// count and best run by a chosen metric, and creates one (name, description); ?name=X opens one to compare its runs,
// move them to another experiment, or move other runs into it.
"use strict";
(() => {
  const { api, value, time } = GitExp;
  const el = RunView.h;
  GitExp.header();
  const page = document.getElementById("page");
  const params = new URLSearchParams(location.search);
  const name = params.get("name");
  const error = el("div", { id: "error", className: "error", role: "alert" });
  const result = el("div", { id: "result", className: "ok", role: "status" });

  function field(label, input) { return el("label", { className: "field" }, el("span", { className: "field-label", text: label }), input); }

  function runLink(r) { return el("a", { href: "/run?id=" + encodeURIComponent(r.id), text: r.name || r.id.slice(0, 8), title: r.title || r.id }); }

  // ---- the list ----

  async function list() {
    const nameInput = el("input", { type: "text", id: "exp-name", required: true, maxLength: 100, autocomplete: "off" });
    const description = el("input", { type: "text", id: "exp-description", autocomplete: "off" });
    const create = el("button", { id: "exp-create", className: "primary", text: "Create experiment", onclick: async () => {
      try {
        const made = await api("/api/experiments", { method: "POST", body: { name: nameInput.value, description: description.value || null } });
        error.textContent = "";
        result.textContent = made.message;
        nameInput.value = ""; description.value = "";
        await load();
      } catch (e) { result.textContent = ""; error.textContent = e.message; }
    } });
    const metric = el("select", { id: "best-metric" });
    const order = el("select", { id: "best-order" }, el("option", { value: "max", text: "highest" }), el("option", { value: "min", text: "lowest" }));
    order.value = params.get("order") === "min" ? "min" : "max";
    const table = el("table", { id: "experiments" });
    const empty = el("p", { className: "muted", hidden: true, text: "No experiments yet: create one above, or give runs an experiment on their page." });
    page.replaceChildren(el("h1", { text: "Experiments" }),
      el("p", { className: "muted", text: "An experiment is a named group of runs. A run joins one from its page, from the New run form, or by being moved here." }),
      el("section", { className: "card create-experiment", "aria-labelledby": "h-new" },
        el("h2", { id: "h-new", text: "New experiment" }),
        el("div", { className: "form-row" }, field("Name", nameInput), field("Description (optional)", description), create)),
      error, result,
      el("div", { className: "toolbar" }, field("Best run by", metric), field("Best is", order)),
      el("div", { className: "table-scroll" }, table), empty);
    metric.addEventListener("change", load);
    order.addEventListener("change", load);

    async function load() {
      const query = new URLSearchParams();
      if (metric.value) query.set("metric", metric.value);
      query.set("order", order.value);
      history.replaceState(null, "", "/experiments?" + query);
      let data;
      try { data = await api("/api/experiments?" + query); }
      catch (e) { error.textContent = e.message; document.body.dataset.loaded = String(Date.now()); return; }
      const wanted = params.get("metric");
      metric.replaceChildren(...data.metricKeys.map(k => el("option", { value: k, text: k })));
      metric.value = data.metric || "";
      if (wanted && !metric.value) metric.value = wanted;
      const best = "Best " + (data.metric ? GitExp.shortKey(data.metric) : "metric");
      table.replaceChildren(
        el("caption", { className: "sr-only", text: "Experiments" }),
        el("thead", {}, el("tr", {}, ...["Experiment", "Description", "Runs", best, "Best run", "Created"].map(h => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...data.experiments.map(x => el("tr", { dataset: { name: x.name } },
          el("td", {}, el("a", { href: "/experiments?name=" + encodeURIComponent(x.name), text: x.name })),
          el("td", { className: "wrap", text: x.description || "" }),
          el("td", { className: "num", dataset: { column: "runs" }, text: x.runs }),
          el("td", { className: "num", dataset: { column: "best" }, text: x.best ? value(x.best.value) : "-" }),
          el("td", {}, x.best ? runLink({ id: x.best.run, name: x.best.runName }) : ""),
          el("td", { text: time(x.created) })))));
      empty.hidden = data.experiments.length > 0;
      document.body.dataset.loaded = String(Date.now());
    }
    await load();
  }

  // ---- one experiment ----

  function runsTable(tableId, runs, keys, selected, showGroup) {
    const rows = runs.map(r => {
      const box = el("input", { type: "checkbox", className: "select", "aria-label": "Select run " + (r.name || r.id), checked: selected.has(r.id),
        onchange: () => { if (box.checked) selected.add(r.id); else selected.delete(r.id); selected.changed(); } });
      return el("tr", { dataset: { id: r.id, name: r.name || "" } },
        el("td", {}, box), el("td", {}, runLink(r)),
        showGroup ? el("td", { text: r.group || "-" }) : null,
        el("td", { className: "status-" + r.status, text: r.status }),
        ...keys.map(k => el("td", { className: "num", text: r.metrics[k] ? value(r.metrics[k].last) : "-" })),
        el("td", { text: time(r.created) }), el("td", { className: "wrap", text: r.title || "" }));
    });
    return el("table", { id: tableId },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }, el("span", { className: "sr-only", text: "Select" })), el("th", { scope: "col", text: "Run" }),
        showGroup ? el("th", { scope: "col", text: "Experiment" }) : null, el("th", { scope: "col", text: "Status" }),
        ...keys.map(k => el("th", { scope: "col", className: "num", text: GitExp.shortKey(k), title: k })),
        el("th", { scope: "col", text: "Created" }), el("th", { scope: "col", text: "Title" }))),
      el("tbody", {}, ...rows));
  }

  function selection(onChange) {
    const set = new Set();
    set.changed = onChange;
    return set;
  }

  async function one() {
    document.title = name + " · Experiments · GitExp";
    const mine = selection(() => update());
    const others = selection(() => update());
    const compare = el("button", { id: "compare-selected", text: "Compare", onclick: () => { location.href = "/compare?ids=" + encodeURIComponent([...mine].join(",")); } });
    const target = el("select", { id: "move-target" });
    const move = el("button", { id: "move-selected", text: "Move", onclick: () => moveRuns([...mine], target.value) });
    const moveHere = el("button", { id: "move-here", className: "primary", text: "Move into " + name, onclick: () => moveRuns([...others], name) });
    const q = el("input", { type: "search", id: "other-q", autocomplete: "off" });
    const runsBox = el("div", { className: "table-scroll", id: "runs-box" });
    const othersBox = el("div", { className: "table-scroll", id: "others-box" });
    const heading = el("h1", {}, el("a", { href: "/experiments", text: "Experiments" }), " / ", el("span", { id: "experiment-name", text: name }));
    const about = el("p", { className: "muted", id: "experiment-description" });
    page.replaceChildren(heading, about,
      el("div", { className: "toolbar" }, el("a", { id: "new-run-here", className: "button-link", href: "/new?experiment=" + encodeURIComponent(name), text: "New run in this experiment" })),
      error, result,
      el("h2", { id: "h-runs", text: "Runs" }),
      el("div", { className: "toolbar" }, compare, field("Move selected to", target), move),
      runsBox,
      el("h2", { text: "Add runs from elsewhere" }),
      el("div", { className: "toolbar" }, field("Find runs (name, title, tag, id)", q), moveHere),
      othersBox);
    function update() {
      compare.disabled = mine.size < 2 || mine.size > 10;
      compare.textContent = `Compare (${mine.size})`;
      move.disabled = mine.size === 0;
      moveHere.disabled = others.size === 0;
    }
    async function moveRuns(ids, to) {
      try {
        const moved = await api("/api/experiments/move", { method: "POST", body: { runs: ids, experiment: to || null } });
        error.textContent = "";
        result.textContent = moved.message;
        mine.clear(); others.clear();
        await load();
      } catch (e) { error.textContent = e.message; }
    }
    let typing;
    q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(loadOthers, 250); });
    async function loadOthers() {
      const data = await api("/api/runs?pageSize=25&q=" + encodeURIComponent(q.value.trim()));
      const outside = data.runs.filter(r => r.group !== name);
      othersBox.replaceChildren(outside.length ? runsTable("other-runs", outside, [], others, true)
        : el("p", { className: "muted", id: "other-runs", text: "No other runs match." }));
      update();
    }
    async function load() {
      try {
        const [all, data] = await Promise.all([api("/api/experiments"), api("/api/runs?pageSize=500&group=" + encodeURIComponent(name))]);
        const me = all.experiments.find(x => x.name === name);
        about.textContent = me ? (me.description || "") + (me.description ? " · " : "") + `${me.runs} run${me.runs === 1 ? "" : "s"}` : "No experiment of this name yet: move runs into it to start it.";
        target.replaceChildren(el("option", { value: "", text: "(no experiment)" }),
          ...all.experiments.filter(x => x.name !== name).map(x => el("option", { value: x.name, text: x.name })));
        const keys = data.metricKeys.slice(0, 6);
        runsBox.replaceChildren(data.runs.length ? runsTable("experiment-runs", data.runs, keys, mine, false)
          : el("p", { className: "muted", id: "experiment-runs", text: "No runs in this experiment yet: add some below, or start a new run in it." }));
        await loadOthers();
      } catch (e) { error.textContent = e.message; }
      update();
      document.body.dataset.loaded = String(Date.now());
    }
    await load();
  }

  if (name) one(); else list();
})();
