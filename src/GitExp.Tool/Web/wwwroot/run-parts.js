// Parts of the run, experiments and pipelines pages: an element builder that also sets ARIA attributes, the run
// page's step plots (log scale, smoothing) and a stage's details. Server data only ever goes in as text.
"use strict";
const RunView = (() => {
  // GitExp.el, with role and aria-* given as attributes (the DOM has no string property for aria-controls).
  function h(tag, props = {}, ...children) {
    const rest = {}, attributes = [];
    for (const [name, v] of Object.entries(props)) {
      if (name === "role" || name.startsWith("aria-") || name === "for") attributes.push([name, v]);
      else rest[name] = v;
    }
    const node = GitExp.el(tag, rest, ...children);
    for (const [name, v] of attributes) if (v != null) node.setAttribute(name, String(v));
    return node;
  }

  // Loads a script of the tool once (uPlot, only when a chart is first drawn: the first screen does not need it).
  const loading = new Map();
  function script(src) {
    if (!loading.has(src)) {
      loading.set(src, new Promise((resolve, reject) => {
        const node = document.createElement("script");
        node.src = src;
        node.onload = resolve;
        node.onerror = () => reject(new Error("could not load " + src));
        document.head.append(node);
      }));
    }
    return loading.get(src);
  }

  return { h, script };
})();

const RunCharts = (() => {
  const { el } = GitExp;

  // An exponential moving average with TensorBoard's debiasing, so the first points are not pulled to zero.
  function smooth(points, weight) {
    if (!weight) return points;
    let last = 0, count = 0;
    return points.map(([x, y]) => {
      count++;
      last = last * weight + (1 - weight) * y;
      return [x, last / (1 - Math.pow(weight, count))];
    });
  }

  // One step plot: the metric as logged (faint when smoothed) and smoothed; a log scale leaves out values <= 0.
  function plot(container, title, points, { log, smoothing }) {
    const box = el("div", { className: "plot", dataset: { key: title } });
    container.append(box);
    const shown = log ? points.filter(p => p[1] > 0) : points;
    const steps = shown.map(p => p[0]);
    const series = [{ label: "step" }];
    const data = [steps];
    if (smoothing > 0) {
      series.push({ label: "raw", stroke: "rgba(47,111,222,0.3)", width: 1 });
      data.push(shown.map(p => p[1]));
      series.push({ label: "smoothed", stroke: "#2f6fde", width: 2 });
      data.push(smooth(shown, smoothing).map(p => p[1]));
    } else {
      series.push({ label: title, stroke: "#2f6fde", width: 2 });
      data.push(shown.map(p => p[1]));
    }
    const width = Math.max(260, Math.min(460, (container.clientWidth || 920) - 24));
    new uPlot({
      title, width, height: 240,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      // Steps are whole numbers: no tick between two of them.
      axes: [{ label: "step", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000] }, {}],
      series,
    }, data, box);
  }

  return { plot, smooth };
})();

const RunStages = (() => {
  const h = RunView.h;
  const { el, duration, time } = GitExp;

  // The lines of the log that belong to a stage: from its first line ("# stage x at <time>" in a workspace run's
  // log, "Running stage 'x':" or "Stage 'x' ..." in a queued run's) to the next stage's first line.
  function section(log, address) {
    const out = [];
    let current = null;
    for (const line of log.split("\n")) {
      const start = /^Running stage '(.+)':$/.exec(line) || /^# stage (.+) at \S+$/.exec(line);
      const told = /^(?:Stage|Would run stage) '(.+?)'/.exec(line);
      if (start) current = start[1];
      else if (told && told[1] !== current) current = told[1];
      if (current === address) out.push(line);
      if (told && /^Stage '.+?' (ran in|didn't change|is frozen|not run|ran before)/.test(line) && told[1] === current) current = null;
    }
    return out.join("\n");
  }

  function list(listId, items, empty) {
    if (!items.length) return el("p", { className: "muted", id: listId, text: empty });
    return el("ul", { className: "plain-list", id: listId }, ...items.map(i => el("li", {}, i)));
  }

  // The panel of one stage: what it declares, how it went in this run, its part of the log and its artifacts.
  function detail(stage, runPath, artifacts, log) {
    const d = stage.declared || { commands: [], fileDeps: [], params: [], outs: [] };
    const facts = el("dl", { className: "meta", id: "stage-facts" });
    const rows = [["Status", stage.status], ["Duration", duration(stage.durationMs == null ? null : stage.durationMs / 1000)],
      ["Started", time(stage.started)], ["Cache hit", stage.cacheHit == null ? "-" : stage.cacheHit ? "yes" : "no"],
      ["Exit code", stage.exitCode], ["Pipeline", stage.pipeline], ["Working directory", d.workingDirectory || "."]];
    for (const [name, v] of rows) facts.append(el("dt", { text: name }), el("dd", { text: v == null || v === "" ? "-" : v, dataset: { field: name } }));
    const outsOf = path => artifacts.filter(a => a.path === path || a.path.startsWith(path.replace(/\/$/, "") + "/"));
    const mine = d.outs.flatMap(o => outsOf(o.path));
    const artifactItems = mine.map(a => {
      const url = runPath + "/artifacts/" + a.path.split("/").map(encodeURIComponent).join("/");
      return a.directory
        ? el("span", {}, el("a", { href: "#artifacts/" + a.path, text: a.path + "/" }), " (folder, " + (a.files || []).length + " files)")
        : el("a", { href: url + "?download=1", text: a.path, className: "download" });
    });
    const part = section(log || "", stage.address);
    return el("div", { className: "stage-detail", dataset: { stage: stage.address } },
      el("h3", { id: "stage-title", text: stage.address }),
      d.description ? el("p", { className: "muted", text: d.description }) : null,
      facts,
      el("h4", { text: "Command" }),
      el("pre", { className: "command", id: "stage-command", text: d.commands.join("\n") || "-" }),
      el("h4", { text: "Deps" }), list("stage-deps", [...stage.deps.map(s => "stage " + s), ...d.fileDeps], "None."),
      el("h4", { text: "Params" }), list("stage-params", d.params, "None."),
      el("h4", { text: "Outs" }), list("stage-outs", d.outs.map(o => o.path + " (" + o.kind + (o.cache ? "" : ", in Git") + ")"), "None."),
      el("h4", { text: "Artifacts" }), list("stage-artifacts", artifactItems, "None recorded by this run."),
      el("h4", { text: "Log" }),
      h("pre", { className: "log stage-log", id: "stage-log", tabIndex: 0, "aria-label": "Log of stage " + stage.address, text: part || "Nothing in the log for this stage." }));
  }

  return { detail, section };
})();
