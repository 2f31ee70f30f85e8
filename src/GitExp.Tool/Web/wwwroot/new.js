// The new-run page: a title, a group and the workspace's params (editable), queued as an entry.
"use strict";
(() => {
  const { api, el } = GitExp;
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error" });
  const result = el("div", { id: "result", className: "ok" });
  const title = el("input", { type: "text", id: "new-title", placeholder: "Description (the run's title)" });
  const group = el("input", { type: "text", id: "new-group", placeholder: "Group (optional)" });
  const name = el("input", { type: "text", id: "new-name", placeholder: "Experiment name (optional)" });
  const box = el("div", { text: "…" });
  page.append(el("h1", { text: "New run" }),
    el("p", { className: "muted", text: "Queues a run of the workspace's pipeline with these params. Start the queue with 'dotnet exp queue start'." }),
    el("div", { className: "toolbar" }, title), el("div", { className: "toolbar" }, group, name),
    el("h2", { text: "Params" }), box, error, result);

  async function load() {
    let data;
    try { data = await api("/api/workspace/params"); }
    catch (e) { box.textContent = ""; error.textContent = e.message; return; }
    const form = RunActions.paramsForm("new-params", data.params);
    const queue = el("button", { id: "queue", className: "primary", text: "Queue run", onclick: async () => {
      queue.disabled = true;
      try {
        const entry = await api("/api/runs/new", { method: "POST",
          body: { title: title.value || null, group: group.value || null, name: name.value || null, params: form.edits(), queue: true } });
        error.textContent = "";
        result.replaceChildren(entry.message + " ", el("a", { href: "/run?id=" + encodeURIComponent(entry.id), text: "Open the run" }));
      } catch (e) { error.textContent = e.message; }
      queue.disabled = false;
    } });
    box.replaceChildren(form.node, el("div", { className: "toolbar" }, queue));
    document.body.dataset.loaded = String(Date.now());
  }
  load();
})();
