// The run page: metadata, params, metrics with a step plot each, the stage graph with each stage's status,
// editable title, group and notes, bookmark/archive, tags, delete/restore, artifacts with previews, checkpoints,
// clone into the queue, and the log (the log and the stage graph live while running).
"use strict";
(() => {
  const { api, el, value, time, duration, plot } = GitExp;
  const id = new URLSearchParams(location.search).get("id") || "";
  const path = "/api/runs/" + encodeURIComponent(id);
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error" });
  let following = null;

  async function post(action, body) {
    try { await api(path + "/" + action, { method: "POST", body }); error.textContent = ""; await load(); }
    catch (e) { error.textContent = e.message; }
  }

  function table(id, header, rows) {
    return el("table", { id }, el("thead", {}, el("tr", {}, ...header.map(h => el("th", { text: h })))),
      el("tbody", {}, ...rows.map(r => el("tr", {}, ...r.map((c, i) => el("td", { className: i > 0 ? "num" : "", text: c }))))));
  }

  async function load() {
    let run;
    try { run = await api(path); }
    catch (e) { page.replaceChildren(el("h1", { text: "Run " + id }), error); error.textContent = e.message; return; }
    document.title = (run.title || run.name || run.id) + " · GitExp";
    const titleInput = el("input", { type: "text", id: "title-input", value: run.title || "", placeholder: "Add a title" });
    const groupInput = el("input", { type: "text", id: "group-input", value: run.group || "", placeholder: "Group (none)",
      title: "The run's group: pick one in use or type a new name; empty takes the run out of its group" });
    groupInput.setAttribute("list", "group-names");
    const notes = el("textarea", { id: "notes", value: run.notes || "", placeholder: "Notes" });
    const save = el("button", { id: "save", className: "primary", text: "Save title, group and notes",
      onclick: () => post("annotate", { title: titleInput.value, group: groupInput.value, notes: notes.value }) });
    const bookmark = el("button", { id: "bookmark", text: run.bookmarked ? "★ Bookmarked" : "☆ Bookmark",
      onclick: () => post("bookmark?on=" + !run.bookmarked) });
    const archive = el("button", { id: "archive", text: run.archived ? "Restore" : "Archive",
      onclick: () => post(run.archived ? "restore" : "archive") });
    const remove = el("button", { id: "delete", text: run.deleted ? "Restore deleted run" : "Delete",
      onclick: () => post(run.deleted ? "restore" : "delete") });
    const meta = el("dl", { className: "meta", id: "meta" });
    const fields = [["Id", run.id], ["Experiment", run.name], ["Status", run.status], ["Commit", run.commit], ["Baseline", run.baseline],
      ["Branch", run.branch], ["Kind", run.kind], ["User", run.user], ["Host", run.host], ["Command", run.command],
      ["Created", time(run.created)], ["Duration", duration(run.duration)], ["Exit code", run.exit_code],
      ["Group", run.group], ["Schedule", run.schedule], ["Tags", (run.tags || []).join(", ")], ["Archived", run.archived ? "yes" : "no"], ["Deleted", run.deleted ? "yes" : "no"]];
    for (const [name, v] of fields) meta.append(el("dt", { text: name }), el("dd", { text: v == null || v === "" ? "-" : v, dataset: { field: name } }));
    // A run that resumed an interrupted one links to it.
    if (run.resumed_from) {
      meta.append(el("dt", { text: "Resumed from" }), el("dd", { dataset: { field: "Resumed from" } },
        el("a", { id: "resumed-from", href: "/run?id=" + encodeURIComponent(run.resumed_from), text: run.resumed_from })));
    }
    const statusCell = meta.querySelector("dd[data-field='Status']");
    statusCell.id = "run-status";
    const showStatus = status => { statusCell.textContent = status; statusCell.className = "status-" + status; };
    showStatus(run.status);
    const params = table("params", ["Param", "Value"], Object.entries(run.params).map(([k, v]) => [k, value(v)]));
    const metrics = table("metrics", ["Metric", "Last", "Min", "Max"],
      Object.entries(run.metrics).map(([k, m]) => [k, value(m.last), value(m.min), value(m.max)]));
    const plots = el("div", { className: "plots", id: "plots" });
    const log = el("pre", { className: "log", id: "log", text: "…" });
    const artifacts = el("div", { id: "artifacts-box", text: "…" });
    const stages = el("div", { id: "stages-box", text: "…" });
    page.replaceChildren(
      el("h1", { id: "run-name", text: run.name || run.id }),
      el("div", { className: "toolbar" }, titleInput, el("label", { className: "muted" }, "Group ", groupInput),
        RunActions.groupList("group-names"), bookmark, archive, remove), error,
      RunActions.tags(run, post),
      el("div", { className: "grid" },
        el("div", {}, el("h2", { text: "Run" }), meta),
        el("div", {}, el("h2", { text: "Params" }), params, el("h2", { text: "Metrics" }), metrics),
        el("div", {}, el("h2", { text: "Notes" }), notes, save)),
      el("h2", { text: "Stages" }), stages,
      el("h2", { text: "Step plots" }), plots,
      el("h2", { text: "Artifacts" }), artifacts,
      el("h2", { text: "Checkpoints" }), RunActions.checkpoints(run),
      el("h2", { text: "Clone with edited params into the queue" }), RunActions.cloneForm(run, path),
      el("h2", { text: "Log" }), log,
    );
    stages.replaceChildren(await GitExp.stageGraph(path));
    // While the run runs, the graph is fetched again when a stage starts or finishes; one fetch at a time, and
    // one more after it if another change came meanwhile. The page's next load (when the run ends) stops it.
    let fetching = false, again = false;
    const refreshStages = async () => {
      if (fetching) { again = true; return; }
      fetching = true;
      do {
        again = false;
        const graph = await GitExp.stageGraph(path);
        if (stages.isConnected) stages.replaceChildren(graph);
      } while (again && stages.isConnected);
      fetching = false;
    };
    for (const key of run.histories) {
      // Each part escaped, the '/' kept: the server takes the rest of the path as the key.
      const points = await api(path + "/history/" + key.split("/").map(encodeURIComponent).join("/"));
      plot(plots, key, [{ label: key, points }]);
    }
    if (run.histories.length === 0) plots.append(el("p", { className: "muted", text: "No step history (metrics logged per step show here)." }));
    if (following) { following.close(); following = null; }
    if (run.status === "running" || run.status === "queued") {
      if (run.status === "queued") log.textContent = "Queued: the log shows here once a worker starts it ('dotnet exp queue start').";
      following = RunActions.follow(path, log, () => { following = null; load(); }, status => {
        if (status === "running" && statusCell.textContent === "queued") log.textContent = "Starting…";
        showStatus(status);
      }, refreshStages);
    } else {
      try { log.textContent = await api(path + "/log"); } catch (e) { log.textContent = e.message; }
    }
    artifacts.replaceChildren(await RunActions.artifacts(path));
    document.body.dataset.loaded = String(Date.now());
  }

  load();
})();
