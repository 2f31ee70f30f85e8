// The pipelines page: each pipeline file with its stages and its versions across commits.
"use strict";
(() => {
  const { api, el, time } = GitExp;
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error" });
  const list = el("div", { id: "pipelines" });
  page.append(el("h1", { text: "Pipelines" }), error, list);

  async function load() {
    try {
      const data = await api("/api/pipelines");
      list.replaceChildren(...data.pipelines.map(p => {
        const body = el("tbody", {}, ...p.versions.map(v => el("tr", { dataset: { commit: v.commit } },
          el("td", { className: "mono", text: v.commit.slice(0, 7), title: v.commit }),
          el("td", { text: time(v.date) }), el("td", { text: v.author }), el("td", { text: v.subject }))));
        return el("section", { className: "pipeline", dataset: { file: p.file } },
          el("h2", {}, el("span", { className: "mono", text: p.file }), el("span", { className: "delta", text: p.kind === "project" ? "project file" : "" })),
          el("p", { className: "muted", text: `Stages: ${p.stages.join(", ") || "-"} · ${p.versions.length} version${p.versions.length === 1 ? "" : "s"}` }),
          p.versions.length === 0 ? el("p", { className: "muted", text: "Not committed yet." })
            : el("table", { className: "versions" }, el("thead", {}, el("tr", {}, ...["Commit", "Date", "Author", "Subject"].map(t => el("th", { text: t })))), body));
      }));
      if (data.pipelines.length === 0) list.append(el("p", { className: "muted", text: "No pipeline files." }));
    } catch (e) {
      error.textContent = e.message;
    }
    document.body.dataset.loaded = String(Date.now());
  }

  load();
})();
