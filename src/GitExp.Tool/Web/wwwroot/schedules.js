// The Recurring runs page: each schedule with its next fire, its latest fire and how that run went; enable,
// disable and remove; and a form that adds one (as 'dotnet exp schedule add'), prefilled from the address
// (?rev=<commit or branch>&set=key=value&group=...&name=...) by the pages that link here. The scheduler fires them.
"use strict";
(() => {
  const { api, el, time } = GitExp;
  GitExp.header();
  const page = document.getElementById("page");
  const scheduler = el("p", { id: "scheduler" });
  const error = el("p", { className: "error", id: "error" });
  const body = el("tbody");
  const table = el("table", { id: "schedules" }, el("thead", {}, el("tr", {},
    ...["Name", "Cron", "Runs", "Next fire", "Last fire", "Last status", "State", ""].map(h => el("th", { text: h })))), body);
  const empty = el("p", { id: "no-schedules", className: "muted",
    text: "No recurring run yet. Add one with: dotnet exp schedule add <name> --cron \"0 2 * * *\"" });
  page.append(el("h1", { text: "Recurring runs" }), scheduler, error, newForm(), table, empty);

  function newForm() {
    const query = new URLSearchParams(location.search);
    const input = (id, props = {}) => el("input", { type: "text", id, ...props });
    const name = input("new-name", { value: query.get("name") || "" });
    const cron = input("new-cron", { placeholder: "0 2 * * *  (or 6 fields, seconds first)" });
    const tz = input("new-tz", { value: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
    const rev = input("new-rev", { value: query.get("rev") || "", placeholder: "the current branch" });
    const params = el("textarea", { id: "new-params", value: query.getAll("set").join("\n"), placeholder: "train.lr=0.01" });
    const group = input("new-group", { value: query.get("group") || "" });
    const start = input("new-start", { type: "datetime-local" });
    const end = input("new-end", { type: "datetime-local" });
    const max = input("new-max", { type: "number", min: 1 });
    const catchUp = el("select", { id: "new-catch-up" }, ...["one", "none", "all"].map(v => el("option", { value: v, text: v })));
    const added = el("p", { className: "ok", id: "added" });
    const field = (label, control) => el("label", { className: "field" }, el("span", { text: label }), control);
    const add = el("button", { id: "add-schedule", className: "primary", text: "Add recurring run", onclick: async () => {
      error.textContent = "";
      added.textContent = "";
      const body = { name: name.value, cron: cron.value, timeZone: tz.value, rev: rev.value, group: group.value,
        start: start.value, end: end.value, catchUp: catchUp.value,
        setParams: params.value.split("\n").map(s => s.trim()).filter(s => s) };
      if (max.value) body.maxConcurrent = Number(max.value);
      try {
        show(await api("/api/schedules", { method: "POST", body }));
        added.textContent = "Added recurring run '" + body.name + "'.";
      } catch (e) {
        error.textContent = e.message;
      }
    } });
    const details = el("details", { id: "new-schedule" }, el("summary", { text: "New recurring run" }),
      el("div", { className: "toolbar" }, field("Name", name), field("Cron", cron), field("Time zone", tz), field("Runs (branch or commit)", rev)),
      el("div", { className: "toolbar" }, field("Params (-S, one per line)", params), field("Group", group)),
      el("div", { className: "toolbar" }, field("Start", start), field("End", end), field("Max concurrent", max), field("Catch up", catchUp)),
      el("div", { className: "toolbar" }, add, added));
    details.open = ["rev", "set", "group", "name", "new"].some(k => query.has(k));
    return details;
  }

  function cell(column, content, className) {
    const td = el("td", { dataset: { column } }, content);
    if (className) td.className = className;
    return td;
  }

  async function act(name, action) {
    error.textContent = "";
    try {
      show(await api("/api/schedules/" + encodeURIComponent(name) + "/" + action, { method: "POST" }));
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function row(s) {
    const last = s.last_fire;
    const lastRun = last && last.run_id ? el("a", { href: "/run?id=" + encodeURIComponent(last.run_id), text: time(last.fire_time) }) : time(last && last.fire_time);
    const toggle = el("button", { className: "toggle", text: s.enabled ? "Disable" : "Enable",
      onclick: () => act(s.name, s.enabled ? "disable" : "enable") });
    // Removing asks twice: the button turns into a confirmation first.
    const remove = el("button", { className: "remove", text: "Remove" });
    remove.addEventListener("click", () => {
      if (remove.dataset.armed) act(s.name, "remove");
      else { remove.dataset.armed = "1"; remove.textContent = "Confirm remove"; }
    });
    const tr = el("tr", { dataset: { name: s.name } },
      cell("name", s.name),
      cell("cron", s.cron + " (" + s.time_zone + ")", "mono"),
      cell("runs", s.revision + (s.set_params.length ? " -S " + s.set_params.join(" -S ") : "")),
      cell("next", time(s.next_fire)),
      cell("last", lastRun),
      cell("status", s.last_status, "status-" + s.last_status),
      cell("state", s.state),
      cell("actions", el("span", {}, toggle, " ", remove)));
    if (last && last.reason) tr.querySelector("td[data-column=status]").title = last.reason;
    return tr;
  }

  function show(data) {
    const s = data.scheduler;
    scheduler.textContent = s.running
      ? "Scheduler: running (pid " + s.pid + ", since " + time(s.since) + ")"
      : "Scheduler: not running — schedules fire only while it runs (dotnet exp scheduler start)";
    scheduler.className = s.running ? "ok" : "muted";
    body.replaceChildren(...data.schedules.map(row));
    table.hidden = data.schedules.length === 0;
    empty.hidden = data.schedules.length !== 0;
    document.body.dataset.loaded = String(Date.now());
  }

  api("/api/schedules").then(show, e => { error.textContent = e.message; });
})();
