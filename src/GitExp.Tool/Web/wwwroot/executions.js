// The executions page: every stage of every run, with its status, duration and whether it was a cache hit.
"use strict";
(() => {
  const { el } = GitExp;
  const stage = el("input", { type: "search", id: "stage", placeholder: "train" });
  const status = el("select", { id: "status" });
  const cacheHit = el("select", { id: "cache-hit" },
    el("option", { value: "", text: "cache hit or not" }), el("option", { value: "true", text: "cache hits" }), el("option", { value: "false", text: "not cache hits" }));
  const params = new URLSearchParams(location.search);
  GitExp.fillSelect(status, "any status", params.get("status") ? [params.get("status")] : []);
  GitExp.listPage({
    title: "Executions", api: "/api/executions", tableId: "executions", rowsKey: "executions", noun: "execution",
    controls: [{ name: "stage", input: stage }, { name: "status", input: status }, { name: "cacheHit", input: cacheHit }],
    onData: data => GitExp.fillSelect(status, "any status", data.statuses),
    columns: [
      { id: "run", label: "Run", render: GitExp.runLink },
      { id: "stage", label: "Stage", render: r => r.stage },
      { id: "status", label: "Status", className: r => "exec-" + r.status, render: r => r.status },
      { id: "started", label: "Started", render: r => GitExp.time(r.started) },
      { id: "duration", label: "Duration", className: () => "num", render: r => GitExp.duration(r.duration_ms == null ? null : r.duration_ms / 1000) },
      { id: "cache", label: "Cache hit", render: r => (r.cache_hit ? "yes" : "no") },
      { id: "exit", label: "Exit code", className: () => "num", render: r => (r.exit_code == null ? "" : r.exit_code) },
    ],
  });
})();
