// The run page's stage graph: one box per stage in columns by depth (a stage's column is one more than the
// furthest column of the stages it depends on), joined by SVG lines. Built with createElement(NS) and
// textContent only: no server data is ever parsed as HTML.
"use strict";
GitExp.stageGraph = (() => {
  const { el, duration } = GitExp;
  const SVG = "http://www.w3.org/2000/svg";
  const boxWidth = 190, boxHeight = 70, columnGap = 70, rowGap = 18, pad = 8;

  function svg(tag, attributes = {}) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    return node;
  }

  // "up-to-date" → "up-to-date", "not run" → "not-run": a class name from a status.
  function statusClass(status) { return String(status).toLowerCase().replace(/[^a-z0-9-]+/g, "-"); }

  function layout(stages) {
    const column = new Map();
    for (const s of stages) {
      const upstream = s.deps.filter(d => column.has(d)).map(d => column.get(d));
      column.set(s.address, upstream.length ? 1 + Math.max(...upstream) : 0);
    }
    const rows = [];
    const position = new Map();
    for (const s of stages) {
      const c = column.get(s.address);
      const r = rows[c] = (rows[c] || 0) + 1;
      position.set(s.address, { x: pad + c * (boxWidth + columnGap), y: pad + (r - 1) * (boxHeight + rowGap) });
    }
    const columns = rows.length, tallest = Math.max(0, ...rows.map(r => r || 0));
    return {
      position,
      width: pad * 2 + columns * boxWidth + Math.max(0, columns - 1) * columnGap,
      height: pad * 2 + tallest * boxHeight + Math.max(0, tallest - 1) * rowGap,
    };
  }

  // A version's stage (the pipelines page) did not run: it shows its command rather than a status.
  function box(stage, at, version) {
    if (version) {
      const command = stage.declared ? stage.declared.commands.join(" && ") : "";
      const node = el("div", { className: "stage-box stage-version", dataset: { stage: stage.address }, title: stage.address + "\n" + command },
        el("span", { className: "stage-name", text: stage.name }),
        el("span", { className: "stage-details mono", text: command }));
      Object.assign(node.style, { left: at.x + "px", top: at.y + "px", width: boxWidth + "px", height: boxHeight + "px" });
      return node;
    }
    const status = statusClass(stage.status);
    const details = [duration(stage.durationMs == null ? null : stage.durationMs / 1000)];
    if (stage.cacheHit) details.push("cache hit");
    if (stage.exitCode != null && stage.exitCode !== 0) details.push("exit " + stage.exitCode);
    // A button: a stage opens to its details where the graph is shown with them (the run page's Stages tab).
    const node = el("button", {
      type: "button",
      className: "stage-box stage-" + status,
      dataset: { stage: stage.address, status: stage.status },
      title: stage.address + (stage.deps.length ? "\ndepends on " + stage.deps.join(", ") : ""),
    },
      el("span", { className: "stage-name", text: stage.name }),
      el("span", { className: "stage-status exec-" + status, text: stage.status }),
      el("span", { className: "stage-details muted", text: details.join(" · ") }));
    node.style.left = at.x + "px";
    node.style.top = at.y + "px";
    node.style.width = boxWidth + "px";
    node.style.height = boxHeight + "px";
    return node;
  }

  // A container with the boxes over an SVG of their connections (upstream's right edge → downstream's left edge).
  function render(data) {
    const stages = data.stages;
    if (stages.length === 0) return el("p", { className: "muted", text: "No stages: neither the run's commit nor the workspace declares a pipeline." });
    const { position, width, height } = layout(stages);
    const lines = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "stage-lines" });
    const marker = svg("marker", { id: "stage-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "stage-arrow" }));
    const defs = svg("defs");
    defs.append(marker);
    lines.append(defs);
    for (const s of stages) {
      const to = position.get(s.address);
      for (const d of s.deps) {
        const from = position.get(d);
        if (!from) continue;
        const line = svg("line", {
          x1: from.x + boxWidth, y1: from.y + boxHeight / 2, x2: to.x, y2: to.y + boxHeight / 2,
          class: "stage-edge", "marker-end": "url(#stage-arrow)",
        });
        line.dataset.from = d;
        line.dataset.to = s.address;
        lines.append(line);
      }
    }
    const graph = el("div", { id: "stage-graph", className: "stage-graph" }, lines, ...stages.map(s => box(s, position.get(s.address), data.source === "version")));
    graph.style.width = width + "px";
    graph.style.height = height + "px";
    const source = data.source === "commit"
      ? "Pipelines of the run's commit " + String(data.commit).slice(0, 10)
      : data.source === "version" ? "Stages of " + data.file + " at " + String(data.commit).slice(0, 10)
      : "Pipelines of the workspace (the run has no commit)";
    return el("div", {}, el("p", { className: "muted stage-source", text: source }), graph);
  }

  // Fetches a stage graph (/api/runs/{id}/stages, or a pipeline version's) and returns the element to show (the
  // graph, or why there is none); onData gets the data when it came.
  return async (url, onData) => {
    try {
      const data = await GitExp.api(url);
      if (onData) onData(data);
      return render(data);
    } catch (e) { return el("p", { className: "error", text: e.message }); }
  };
})();
