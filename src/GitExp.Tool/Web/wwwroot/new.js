// The new-run page: a title, an experiment (a group of runs; ?experiment= picks it) and the workspace's params (editable), queued as an entry or started
// at once in the background (as 'dotnet exp run --temp'), which opens the run's page.
"use strict";
(() => {
  const { api, el } = GitExp;
  GitExp.header();
  const page = document.getElementById("page");
  const error = el("div", { id: "error", className: "error" });
  const result = el("div", { id: "result", className: "ok" });
  const title = el("input", { type: "text", id: "new-title" });
  const group = el("input", { type: "text", id: "new-group", value: new URLSearchParams(location.search).get("experiment") || "" });
  group.setAttribute("list", "group-names");
  const name = el("input", { type: "text", id: "new-name" });
  const field = (label, input) => el("label", { className: "field" }, el("span", { className: "field-label", text: label }), input);
  const box = el("div", { text: "…" });
  page.append(el("h1", { text: "New run" }),
    el("p", { className: "muted", text: "Runs the workspace's pipeline with these params in its own workspace. " +
      "Queue run adds it to the queue ('dotnet exp queue start' runs the queue); Start now runs it at once in the background " +
      "(as 'dotnet exp run --temp') and opens its page." }),
    el("div", { className: "form-row" }, field("Title (what this run tries)", title),
      field("Experiment (pick one or type a new name)", group), RunActions.groupList("group-names"), field("Run name (optional)", name)),
    el("h2", { text: "Params" }), box, error, result);

  async function load() {
    let data;
    try { data = await api("/api/workspace/params"); }
    catch (e) { box.textContent = ""; error.textContent = e.message; return; }
    const form = RunActions.paramsForm("new-params", data.params);
    const buttons = [];
    // how: "queue" or "temp", as the API takes them.
    async function submit(how) {
      buttons.forEach(b => { b.disabled = true; });
      try {
        const entry = await api("/api/runs/new", { method: "POST",
          body: { title: title.value || null, group: group.value || null, name: name.value || null, params: form.edits(), [how]: true } });
        error.textContent = "";
        if (how === "temp") { location.href = "/run?id=" + encodeURIComponent(entry.id); return; }
        result.replaceChildren(entry.message + " ", el("a", { href: "/run?id=" + encodeURIComponent(entry.id), text: "Open the run" }));
      } catch (e) { error.textContent = e.message; }
      buttons.forEach(b => { b.disabled = false; });
    }
    buttons.push(el("button", { id: "queue", className: "primary", text: "Queue run", onclick: () => submit("queue") }),
      el("button", { id: "start", text: "Start now", title: "Run it at once in the background, in its own workspace", onclick: () => submit("temp") }),
      // A recurring run runs the current branch's tip at each fire (never the uncommitted workspace): the Recurring runs form, prefilled.
      el("button", { id: "schedule", text: "Repeat on a schedule…", title: "Add a recurring run of the current branch with these params",
        onclick: () => { location.href = "/schedules?" + new URLSearchParams([["new", "1"], ["group", group.value], ["name", name.value],
          ...Object.entries(form.edits()).map(([k, v]) => ["set", k + "=" + JSON.stringify(v)])]); } }));
    box.replaceChildren(form.node, el("div", { className: "toolbar" }, ...buttons));
    document.body.dataset.loaded = String(Date.now());
  }
  load();
})();
