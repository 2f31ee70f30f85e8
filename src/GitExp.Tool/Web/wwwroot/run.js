// The run page: a header (name, status, actions, a banner on a deleted or archived run) over six tabs:
// Overview (metadata, params, metrics, title, experiment, notes, tags, clone), Charts (step plots, live while the
// run runs, log scale and smoothing), Stages (the graph; a stage opens to its details), Artifacts (folders open,
// previews load when shown), Log and Checkpoints. The tab is in the address (#charts, #stages/train), so a link or
// a reload keeps it. A tab's data loads the first time it is shown: the first screen needs only the run.
"use strict";
(() => {
  const { api, value, time, duration } = GitExp;
  const el = RunView.h;
  const id = new URLSearchParams(location.search).get("id") || "";
  const path = "/api/runs/" + encodeURIComponent(id);
  const tabs = [["overview", "Overview"], ["charts", "Charts"], ["stages", "Stages"], ["artifacts", "Artifacts"], ["log", "Log"], ["checkpoints", "Checkpoints"]];
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error", role: "alert" });
  let following = null, ticking = null, polling = null;
  let run = null;
  // Filled by the tabs as they load; reset when the run is loaded again (it ended, or was edited).
  let loaded = {};
  let logText = null;

  async function post(action, body) {
    try { await api(path + "/" + action, { method: "POST", body }); error.textContent = ""; await load(); }
    catch (e) { error.textContent = e.message; }
  }

  function table(tableId, header, rows, caption) {
    return el("table", { id: tableId }, caption ? el("caption", { className: "sr-only", text: caption }) : null,
      el("thead", {}, el("tr", {}, ...header.map(h => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map(r => el("tr", {}, ...r.map((c, i) => el("td", { className: i > 0 ? "num" : "", text: c }))))));
  }

  // "#stages/train" → { tab: "stages", rest: "train" }; an unknown tab is the overview.
  function fromHash() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const slash = hash.indexOf("/");
    const tab = slash < 0 ? hash : hash.slice(0, slash);
    return { tab: tabs.some(t => t[0] === tab) ? tab : "overview", rest: slash < 0 ? "" : hash.slice(slash + 1) };
  }

  function labelled(text, input) {
    const label = el("label", { className: "field" }, el("span", { className: "field-label", text }), input);
    return label;
  }

  function runningSeconds(r) {
    if (r.duration != null) return r.duration;
    if ((r.status === "running") && r.started) return Math.max(0, (Date.now() - Date.parse(r.started)) / 1000);
    return null;
  }

  function overview(r) {
    const titleInput = el("input", { type: "text", id: "title-input", value: r.title || "" });
    const groupInput = el("input", { type: "text", id: "group-input", value: r.group || "",
      title: "The run's experiment: pick one or type a new name; empty takes the run out of its experiment" });
    groupInput.setAttribute("list", "group-names");
    const notes = el("textarea", { id: "notes", value: r.notes || "" });
    const save = el("button", { id: "save", className: "primary", text: "Save",
      onclick: () => post("annotate", { title: titleInput.value, group: groupInput.value, notes: notes.value }) });
    const meta = el("dl", { className: "meta", id: "meta" });
    const fields = [["Id", r.id], ["Name", r.name], ["Experiment", r.group], ["Status", r.status], ["Duration", duration(runningSeconds(r))],
      ["Created", time(r.created)], ["Started", time(r.started)], ["Finished", time(r.finished)], ["Commit", r.commit],
      ["Baseline", r.baseline], ["Branch", r.branch], ["Kind", r.kind], ["User", r.user], ["Host", r.host], ["Command", r.command],
      ["Exit code", r.exit_code], ["Schedule", r.schedule], ["Tags", (r.tags || []).join(", ")]];
    for (const [name, v] of fields) meta.append(el("dt", { text: name }), el("dd", { text: v == null || v === "" ? "-" : v, dataset: { field: name } }));
    if (r.resumed_from) {
      meta.append(el("dt", { text: "Resumed from" }), el("dd", { dataset: { field: "Resumed from" } },
        el("a", { id: "resumed-from", href: "/run?id=" + encodeURIComponent(r.resumed_from), text: r.resumed_from })));
    }
    const group = meta.querySelector("dd[data-field='Experiment']");
    if (r.group) group.replaceChildren(el("a", { href: "/experiments?name=" + encodeURIComponent(r.group), text: r.group }));
    meta.querySelector("dd[data-field='Status']").id = "run-status-meta";
    meta.querySelector("dd[data-field='Duration']").id = "run-duration";
    const params = table("params", ["Param", "Value"], Object.entries(r.params).map(([k, v]) => [k, value(v)]), "Params");
    const metrics = table("metrics", ["Metric", "Last", "Min", "Max"],
      Object.entries(r.metrics).map(([k, m]) => [k, value(m.last), value(m.min), value(m.max)]), "Metrics");
    return el("div", { className: "overview" },
      el("section", { className: "card", "aria-labelledby": "h-run" }, el("h2", { id: "h-run", text: "Run" }), meta),
      el("section", { className: "card", "aria-labelledby": "h-values" },
        el("h2", { id: "h-values", text: "Metrics" }), Object.keys(r.metrics).length ? metrics : el("p", { className: "muted", id: "metrics", text: "No metrics yet." }),
        el("h2", { text: "Params" }), Object.keys(r.params).length ? params : el("p", { className: "muted", id: "params", text: "No params." })),
      el("section", { className: "card", "aria-labelledby": "h-notes" },
        el("h2", { id: "h-notes", text: "Title, experiment and notes" }),
        labelled("Title", titleInput), labelled("Experiment", groupInput), RunActions.groupList("group-names"),
        labelled("Notes", notes), save,
        el("h2", { text: "Tags" }), RunActions.tags(r, post)),
      el("section", { className: "card wide", "aria-labelledby": "h-clone" },
        el("h2", { id: "h-clone", text: "Clone with edited params into the queue" }), RunActions.cloneForm(r, path)));
  }

  function banner(r) {
    if (!r.deleted && !r.archived) return null;
    const what = r.deleted ? "deleted: it shows in no list until it is restored" : "archived: the runs list hides it unless you ask for archived runs";
    return el("div", { id: "run-banner", className: "banner", role: "status" },
      el("span", { text: "This run is " + what + "." }),
      el("button", { id: "banner-restore", text: "Restore", onclick: () => post("restore") }));
  }

  function actions(r) {
    const buttons = [];
    if (r.status === "running" || r.status === "queued") {
      buttons.push(el("button", { id: "terminate", className: "danger", text: r.status === "queued" ? "Cancel" : "Terminate",
        title: r.status === "queued" ? "Take the run out of the queue" : "Stop the run as Ctrl+C does; it ends as failed, its log kept",
        onclick: async e => { e.target.disabled = true; await post("terminate"); } }));
    }
    if (r.status === "failed" || r.status === "interrupted") {
      buttons.push(el("button", { id: "retry", className: "primary", text: "Retry",
        title: "A new run of the same commit with the same params, started now in its own workspace",
        onclick: async e => {
          e.target.disabled = true;
          try {
            const entry = await api(path + "/retry", { method: "POST", body: {} });
            location.href = "/run?id=" + encodeURIComponent(entry.id);
          } catch (x) { error.textContent = x.message; e.target.disabled = false; }
        } }));
    }
    buttons.push(el("button", { id: "bookmark", text: r.bookmarked ? "★ Bookmarked" : "☆ Bookmark", "aria-pressed": String(!!r.bookmarked),
      onclick: () => post("bookmark?on=" + !r.bookmarked) }));
    if (!r.deleted) buttons.push(el("button", { id: "archive", text: r.archived ? "Unarchive" : "Archive", onclick: () => post(r.archived ? "restore" : "archive") }));
    if (r.deleted) buttons.push(el("button", { id: "delete", text: "Restore deleted run", onclick: () => post("restore") }));
    else {
      buttons.push(el("button", { id: "delete", text: "Delete", onclick: async () => {
        if (await GitExp.confirm(`Delete run ${r.name || r.id}? It leaves every list; the runs page's Deleted view can restore it.`, "Delete")) post("delete");
      } }));
    }
    return el("div", { className: "toolbar run-actions" }, ...buttons);
  }

  // ---- tabs ----

  const panels = {}, tabButtons = {};
  function tabBar() {
    const bar = el("div", { className: "tabs", role: "tablist", "aria-label": "Run sections" });
    for (const [name, label] of tabs) {
      const button = el("button", { type: "button", role: "tab", id: "tab-" + name, text: label, "aria-controls": "panel-" + name,
        onclick: () => { location.hash = name; } });
      button.addEventListener("keydown", e => {
        const i = tabs.findIndex(t => t[0] === name);
        const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
        if (next == null) return;
        const target = tabs[(next + tabs.length) % tabs.length][0];
        location.hash = target;
        tabButtons[target].focus();
      });
      tabButtons[name] = button;
      bar.append(button);
      panels[name] = el("section", { role: "tabpanel", id: "panel-" + name, className: "tab-panel", "aria-labelledby": "tab-" + name, hidden: true });
    }
    return bar;
  }

  function show() {
    const { tab, rest } = fromHash();
    for (const [name] of tabs) {
      const on = name === tab;
      tabButtons[name].setAttribute("aria-selected", String(on));
      tabButtons[name].tabIndex = on ? 0 : -1;
      panels[name].hidden = !on;
    }
    document.body.dataset.tab = tab;
    if (run) open(tab, rest);
  }

  async function open(tab, rest) {
    if (tab === "charts") await charts();
    else if (tab === "stages") await stages(rest);
    else if (tab === "artifacts") await artifactsTab();
    else if (tab === "log") await logTab();
    else if (tab === "checkpoints" && !loaded.checkpoints) {
      loaded.checkpoints = true;
      panels.checkpoints.replaceChildren(el("h2", { className: "sr-only", text: "Checkpoints" }), RunActions.checkpoints(run));
    }
  }

  // ---- charts ----

  const chartState = { log: false, smoothing: 0 };
  async function charts() {
    if (loaded.charts) return;
    loaded.charts = true;
    const box = el("div", { className: "plots", id: "plots" });
    const logScale = el("input", { type: "checkbox", id: "log-scale", checked: chartState.log,
      onchange: () => { chartState.log = logScale.checked; draw(); } });
    const smoothing = el("input", { type: "range", id: "smoothing", min: "0", max: "0.95", step: "0.05", value: String(chartState.smoothing),
      oninput: () => { chartState.smoothing = Number(smoothing.value); smoothingValue.textContent = smoothing.value; draw(); } });
    const smoothingValue = el("output", { id: "smoothing-value", text: String(chartState.smoothing) });
    const live = el("span", { id: "charts-live", className: "muted" });
    panels.charts.replaceChildren(
      el("h2", { className: "sr-only", text: "Step plots" }),
      el("div", { className: "toolbar chart-controls" },
        el("label", {}, logScale, " Log scale"),
        el("label", {}, "Smoothing ", smoothing), smoothingValue, live),
      box);
    let series = [];
    function draw() {
      box.replaceChildren();
      if (series.length === 0) {
        box.append(el("p", { className: "muted", text: run.status === "running" || run.status === "queued"
          ? "No step history yet: step plots show here as the run logs them." : "No step history (metrics logged per step show here)." }));
      }
      for (const s of series) RunCharts.plot(box, s.key, s.points, chartState);
      document.body.dataset.charts = String(series.length);
      document.body.dataset.points = String(Math.max(0, ...series.map(x => x.points.length)));
    }
    async function fetchHistories() {
      if (run.status === "running") {
        const data = await api(path + "/live");
        series = data.series;
        live.textContent = "Live: updated " + new Date().toLocaleTimeString();
      } else {
        // All at once; each part of a key escaped, the '/' kept: the server takes the rest of the path as the key.
        series = await Promise.all(run.histories.map(async key =>
          ({ key, points: await api(path + "/history/" + key.split("/").map(encodeURIComponent).join("/")) })));
        live.textContent = "";
      }
      draw();
    }
    try { await RunView.script("/assets/uPlot.iife.min.js"); await fetchHistories(); }
    catch (e) { box.replaceChildren(el("p", { className: "error", text: e.message })); }
    if (run.status === "running" && !polling) {
      // Redrawn every 2 s while the run runs and the tab is shown; the run's end loads the page's data again.
      polling = setInterval(async () => {
        if (panels.charts.hidden || run.status !== "running") return;
        try { await fetchHistories(); } catch { /* the next poll tries again */ }
      }, 2000);
    }
  }

  // ---- stages ----

  let stageData = null;
  async function stages(selected) {
    if (!loaded.stages) {
      loaded.stages = true;
      panels.stages.replaceChildren(el("h2", { className: "sr-only", text: "Stages" }),
        el("div", { className: "stage-layout" }, el("div", { id: "stages-box", className: "stage-scroll", text: "…" }),
          el("div", { id: "stage-detail", className: "card", "aria-live": "polite" },
            el("p", { className: "muted", text: "Click a stage to see its command, deps, outs, params, log and artifacts." }))));
      await refreshStages();
    }
    select(selected);
  }

  let fetching = false, again = false;
  async function refreshStages() {
    // One fetch at a time, and one more after it if a stage changed meanwhile.
    if (fetching) { again = true; return; }
    fetching = true;
    do {
      again = false;
      const box = document.getElementById("stages-box");
      const graph = await GitExp.stageGraph(path + "/stages", data => { stageData = data; });
      if (box && box.isConnected) box.replaceChildren(graph);
      for (const b of panels.stages.querySelectorAll(".stage-box")) {
        b.addEventListener("click", () => { location.hash = "stages/" + b.dataset.stage; });
      }
    } while (again);
    fetching = false;
    const { tab, rest } = fromHash();
    if (tab === "stages" && rest) select(rest);
  }

  async function select(address) {
    const detail = document.getElementById("stage-detail");
    if (!detail || !stageData) return;
    for (const b of panels.stages.querySelectorAll(".stage-box")) b.setAttribute("aria-pressed", String(b.dataset.stage === address));
    const stage = stageData.stages.find(s => s.address === address);
    if (!stage) return;
    let artifacts = [];
    try { artifacts = loaded.artifactList || (loaded.artifactList = await api(path + "/artifacts")); } catch { /* shown without */ }
    let log = "";
    try { log = await fullLog(); } catch { /* shown without */ }
    detail.replaceChildren(RunStages.detail(stage, path, artifacts, log));
  }

  async function fullLog() {
    if (run.status === "running" || run.status === "queued") return document.getElementById("log")?.textContent || "";
    if (logText == null) logText = await api(path + "/log");
    return logText;
  }

  // ---- artifacts, log ----

  async function artifactsTab() {
    if (loaded.artifacts) return;
    loaded.artifacts = true;
    panels.artifacts.replaceChildren(el("h2", { className: "sr-only", text: "Artifacts" }), el("p", { text: "…" }));
    panels.artifacts.replaceChildren(el("h2", { className: "sr-only", text: "Artifacts" }), await RunActions.artifacts(path));
  }

  const log = el("pre", { className: "log", id: "log", tabIndex: 0, "aria-label": "Log", text: "…" });
  async function logTab() {
    if (loaded.log) return;
    loaded.log = true;
    if (run.status === "running" || run.status === "queued") return;
    try { log.textContent = await fullLog(); } catch (e) { log.textContent = e.message; }
  }

  // ---- the run ----

  const header = el("div", { className: "run-header" });
  const tabBarNode = tabBar();
  page.replaceChildren(header, error, tabBarNode, ...tabs.map(([name]) => panels[name]));
  panels.log.append(el("h2", { className: "sr-only", text: "Log" }), log);
  window.addEventListener("hashchange", show);

  async function load() {
    try { run = await api(path); }
    catch (e) { header.replaceChildren(el("h1", { text: "Run " + id })); error.textContent = e.message; document.body.dataset.loaded = String(Date.now()); return; }
    loaded = {};
    logText = null;
    document.title = (run.title || run.name || run.id) + " · GitExp";
    const status = el("span", { id: "run-status", className: "status-" + run.status, text: run.status });
    header.replaceChildren(
      el("div", { className: "run-title" },
        el("h1", { id: "run-name", text: run.name || run.id }), status,
        run.title ? el("span", { className: "run-subtitle muted", text: run.title }) : null),
      banner(run) || "", actions(run));
    panels.overview.replaceChildren(overview(run));
    for (const name of ["charts", "stages", "artifacts", "checkpoints"]) panels[name].replaceChildren(el("p", { className: "muted", text: "…" }));
    const showStatus = s => {
      status.textContent = s;
      status.className = "status-" + s;
      const metaStatus = document.getElementById("run-status-meta");
      if (metaStatus) metaStatus.textContent = s;
    };
    if (ticking) { clearInterval(ticking); ticking = null; }
    if (polling) { clearInterval(polling); polling = null; }
    if (following) { following.close(); following = null; }
    if (run.status === "running" || run.status === "queued") {
      // The duration counts while the run runs.
      ticking = setInterval(() => {
        const cell = document.getElementById("run-duration");
        if (cell && run.status === "running") cell.textContent = duration(runningSeconds(run));
      }, 1000);
      log.textContent = run.status === "queued" ? "Queued: the log shows here once a worker starts it ('dotnet exp queue start')." : "…";
      following = RunActions.follow(path, log, () => { following = null; load(); }, s => {
        if (s === "running" && run.status === "queued") {
          log.textContent = "Starting…";
          run.status = "running";
          run.started = run.started || new Date().toISOString();
        }
        showStatus(s);
      }, () => { if (loaded.stages) refreshStages(); });
    }
    show();
    document.body.dataset.loaded = String(Date.now());
  }

  load();
})();
