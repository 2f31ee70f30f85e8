// The pipelines page: each pipeline file with its versions (the commits that changed it). A version opens (in the
// address: ?file=&commit=) to its stage graph, the runs made from that commit, and "Create run": a run of that
// commit's files, queued or started at once in its own workspace.
"use strict";
(() => {
  const { api, time, value } = GitExp;
  const el = RunView.h;
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error", role: "alert" });
  const list = el("div", { id: "pipelines" });
  const detail = el("section", { id: "version", className: "card", "aria-live": "polite", hidden: true });
  page.append(el("h1", { text: "Pipelines" }),
    el("p", { className: "muted", text: "Each pipeline file with the commits that changed it. Open a version to see its stages and its runs, or to run it." }),
    error, el("div", { className: "pipelines-layout" }, list, detail));

  const field = (label, input) => el("label", { className: "field" }, el("span", { className: "field-label", text: label }), input);

  async function open(file, commit) {
    const query = new URLSearchParams({ file, commit });
    history.replaceState(null, "", "/pipelines?" + query);
    for (const row of list.querySelectorAll("tr[data-commit]")) {
      const on = row.closest("section").dataset.file === file && row.dataset.commit === commit;
      row.classList.toggle("selected", on);
      row.querySelector("button").setAttribute("aria-pressed", String(on));
    }
    detail.hidden = false;
    const graphBox = el("div", { className: "stage-scroll", id: "version-graph", text: "…" });
    const runsBox = el("div", { className: "table-scroll", id: "version-runs", text: "…" });
    const group = el("input", { type: "text", id: "version-group" });
    group.setAttribute("list", "group-names");
    const name = el("input", { type: "text", id: "version-name" });
    const result = el("div", { id: "version-result", className: "ok", role: "status" });
    const buttons = [];
    async function create(how) {
      buttons.forEach(b => { b.disabled = true; });
      try {
        const made = await api("/api/pipelines/run", { method: "POST", body: { commit, [how]: true, group: group.value || null, name: name.value || null } });
        error.textContent = "";
        if (how === "temp") { location.href = "/run?id=" + encodeURIComponent(made.id); return; }
        result.replaceChildren(made.message + " ", el("a", { href: "/run?id=" + encodeURIComponent(made.id), text: "Open the run" }));
        await runs();
      } catch (e) { error.textContent = e.message; }
      buttons.forEach(b => { b.disabled = false; });
    }
    buttons.push(el("button", { id: "version-queue", className: "primary", text: "Create run (queue)", onclick: () => create("queue") }),
      el("button", { id: "version-start", text: "Create and start now", title: "Run it at once in the background, in its own workspace", onclick: () => create("temp") }),
      el("button", { id: "version-schedule", text: "Repeat on a schedule…", title: "Add a recurring run of this version (the Recurring runs form, prefilled)",
        onclick: () => { location.href = "/schedules?" + new URLSearchParams({ rev: commit, group: group.value, name: name.value }); } }));
    const filter = `baseline = "${commit}"`;
    detail.replaceChildren(
      el("h2", { id: "version-title" }, el("span", { className: "mono", text: file }), " at ", el("span", { className: "mono", text: commit.slice(0, 7) })),
      el("h3", { text: "Stages" }), graphBox,
      el("h3", { text: "Create run" }),
      el("p", { className: "muted", text: "A run of this commit's files (not the workspace's), with its params as committed." }),
      el("div", { className: "form-row" }, field("Experiment (optional)", group), RunActions.groupList("group-names"), field("Run name (optional)", name), ...buttons),
      result,
      el("h3", {}, "Runs of this version ", el("a", { id: "version-runs-link", href: "/?filter=" + encodeURIComponent(filter), text: "(all, on the runs page)" })),
      runsBox);
    async function runs() {
      try {
        const data = await api("/api/runs?pageSize=20&filter=" + encodeURIComponent(filter));
        const keys = data.metricKeys.slice(0, 4);
        runsBox.replaceChildren(data.runs.length === 0 ? el("p", { className: "muted", text: "No runs of this version yet." })
          : el("table", { id: "version-runs-table" },
            el("thead", {}, el("tr", {}, ...["Run", "Status", ...keys.map(GitExp.shortKey), "Created"].map(h => el("th", { scope: "col", text: h })))),
            el("tbody", {}, ...data.runs.map(r => el("tr", { dataset: { id: r.id } },
              el("td", {}, el("a", { href: "/run?id=" + encodeURIComponent(r.id), text: r.name || r.id.slice(0, 8) })),
              el("td", { className: "status-" + r.status, text: r.status }),
              ...keys.map(k => el("td", { className: "num", text: r.metrics[k] ? value(r.metrics[k].last) : "-" })),
              el("td", { text: time(r.created) }))))));
      } catch (e) { runsBox.replaceChildren(el("p", { className: "error", text: e.message })); }
    }
    graphBox.replaceChildren(await GitExp.stageGraph("/api/pipelines/graph?" + query));
    await runs();
    document.body.dataset.version = commit;
  }

  async function load() {
    try {
      const data = await api("/api/pipelines");
      list.replaceChildren(...data.pipelines.map(p => {
        const body = el("tbody", {}, ...p.versions.map(v => el("tr", { dataset: { commit: v.commit } },
          el("td", {}, el("button", { type: "button", className: "version-open", text: v.commit.slice(0, 7), title: "Open version " + v.commit,
            onclick: () => open(p.file, v.commit) })),
          el("td", { text: time(v.date) }), el("td", { text: v.author }), el("td", { className: "wrap", text: v.subject }))));
        return el("section", { className: "pipeline card", dataset: { file: p.file } },
          el("h2", {}, el("span", { className: "mono", text: p.file }), el("span", { className: "delta", text: p.kind === "project" ? "project file" : "" })),
          el("p", { className: "muted", text: `Stages: ${p.stages.join(", ") || "-"} · ${p.versions.length} version${p.versions.length === 1 ? "" : "s"}` }),
          p.versions.length === 0 ? el("p", { className: "muted", text: "Not committed yet." })
            : el("div", { className: "table-scroll" }, el("table", { className: "versions" },
              el("thead", {}, el("tr", {}, ...["Version", "Date", "Author", "Subject"].map(t => el("th", { scope: "col", text: t })))), body)));
      }));
      if (data.pipelines.length === 0) list.append(el("p", { className: "muted", text: "No pipeline files." }));
      const params = new URLSearchParams(location.search);
      const first = data.pipelines.find(p => p.versions.length);
      const file = params.get("file") || (first && first.file);
      const commit = params.get("commit") || (first && first.versions[0].commit);
      if (file && commit) await open(file, commit);
    } catch (e) {
      error.textContent = e.message;
    }
    document.body.dataset.loaded = String(Date.now());
  }

  load();
})();
