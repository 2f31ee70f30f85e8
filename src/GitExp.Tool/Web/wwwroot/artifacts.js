// The artifacts page: every out, metric and plot of every run, with the run it came from.
"use strict";
(() => {
  const { el } = GitExp;
  const q = el("input", { type: "search", id: "q", placeholder: "path contains" });
  const kind = el("select", { id: "kind", "aria-label": "Kind" });
  q.setAttribute("aria-label", "Path contains");
  const params = new URLSearchParams(location.search);
  GitExp.fillSelect(kind, "any kind", params.get("kind") ? [params.get("kind")] : []);
  const { size } = GitExp;
  GitExp.listPage({
    title: "Artifacts", api: "/api/artifacts", tableId: "artifacts", rowsKey: "artifacts", noun: "artifact",
    controls: [{ name: "q", input: q }, { name: "kind", input: kind }],
    onData: data => GitExp.fillSelect(kind, "any kind", data.kinds),
    columns: [
      { id: "path", label: "Path", render: r => r.directory
        ? el("a", { href: "/run?id=" + encodeURIComponent(r.runId) + "#artifacts/" + r.path, text: r.path + "/", title: "Browse the folder on its run's page" })
        : el("a", { href: r.url, text: r.path, title: "download" }) },
      { id: "kind", label: "Kind", render: r => r.kind },
      { id: "size", label: "Size", className: () => "num", render: r => size(r.size) },
      { id: "sha", label: "SHA-256", className: () => "muted", render: r => r.sha256.slice(0, 12) },
      { id: "run", label: "Run", render: GitExp.runLink },
      { id: "status", label: "Run status", className: r => "status-" + r.runStatus, render: r => r.runStatus },
      { id: "created", label: "Created", render: r => GitExp.time(r.created) },
    ],
  });
})();
