// The Recurring runs page: each schedule with its next fire, its latest fire and how that run went; enable,
// disable and remove. Schedules are added with 'dotnet exp schedule add'; the scheduler fires them.
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
  page.append(el("h1", { text: "Recurring runs" }), scheduler, error, table, empty);

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
  }

  api("/api/schedules").then(show, e => { error.textContent = e.message; });
})();
