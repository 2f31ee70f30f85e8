// Shared by every page. Data from the server is only ever shown through textContent.
"use strict";
const GitExp = (() => {
  const token = document.querySelector('meta[name="gitexp-token"]').content;

  async function api(path, options = {}) {
    const init = { method: options.method || "GET", headers: {} };
    if (init.method !== "GET") {
      init.headers["X-GitExp-Token"] = token;
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body || {});
    }
    const response = await fetch(path, init);
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      throw new Error(data && data.error ? data.error : response.status + " " + response.statusText);
    }
    return data;
  }

  // el("td", { className: "num", text: "1.0" }, child...) — text is set with textContent, never as HTML.
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === "text") node.textContent = value == null ? "" : String(value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name.includes("-") || name === "role") { if (value != null) node.setAttribute(name, String(value)); }
      else node[name] = value;
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function value(v) {
    if (v === null || v === undefined) return "-";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  }

  function shortKey(key) { const i = key.indexOf(":"); return i < 0 ? key : key.slice(i + 1); }

  // Every page shows times the same way: local time, with the zone named (2026-01-06 08:00:00 GMT+1).
  const zoneName = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
  const pad = n => String(n).padStart(2, "0");
  function time(iso) {
    if (!iso) return "-";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const zone = zoneName.formatToParts(d).find(p => p.type === "timeZoneName")?.value || "";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`.trim();
  }

  // Every page shows sizes the same way: bytes, then KiB, MiB, GiB (powers of 1024, one decimal).
  function size(bytes) {
    if (bytes == null) return "-";
    if (bytes < 1024) return bytes + " B";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let n = bytes / 1024, i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return n.toFixed(1) + " " + units[i];
  }

  function duration(seconds) { return seconds == null ? "-" : seconds.toFixed(1) + "s"; }

  const colors = ["#2f6fde", "#e4572e", "#17a398", "#a23b72", "#f3a712", "#6a4c93", "#3d9970", "#ff6f91", "#0074d9", "#85144b"];

  // One uPlot chart; series = [{ label, points: [[step, value], ...] }], aligned on the union of steps.
  function plot(container, title, series) {
    const steps = [...new Set(series.flatMap(s => s.points.map(p => p[0])))].sort((a, b) => a - b);
    const data = [steps];
    for (const s of series) {
      const byStep = new Map(s.points.map(p => [p[0], p[1]]));
      data.push(steps.map(x => (byStep.has(x) ? byStep.get(x) : null)));
    }
    const box = el("div", { className: "plot" });
    container.append(box);
    new uPlot({
      title, width: 420, height: 240, scales: { x: { time: false } },
      axes: [{ label: "step" }, {}],
      series: [{ label: "step" }, ...series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true }))],
    }, data, box);
  }

  // The pages of the nav; a page whose path is not listed (a run, compare) marks the list it belongs to.
  const pages = [["/", "Runs"], ["/experiments", "Experiments"], ["/artifacts", "Artifacts"], ["/executions", "Executions"], ["/pipelines", "Pipelines"], ["/schedules", "Recurring runs"]];
  const sections = { "/run": "/", "/compare": "/", "/new": "/" };

  function header() {
    const current = sections[location.pathname] || location.pathname;
    const nav = el("nav", { "aria-label": "Pages" }, ...pages.map(([href, text]) =>
      el("a", { href, text, "aria-current": href === location.pathname ? "page" : href === current ? "true" : null })));
    document.body.prepend(el("header", {}, el("a", { href: "/", text: "GitExp", className: "brand" }), nav));
  }

  // A labelled control: the label is always shown above it (a placeholder is only an example of what to type).
  function field(label, input, className = "") {
    return el("label", { className: ("field " + className).trim() }, el("span", { text: label }), input);
  }

  // Asks before something a user may regret (deleting runs): a modal <dialog> with the question, Cancel and the action.
  // Resolves true when the action was chosen; Escape, Cancel or a click outside resolve false.
  function confirm(message, action) {
    return new Promise(resolve => {
      const ok = el("button", { className: "danger", value: "ok", text: action, id: "confirm-ok" });
      const cancel = el("button", { value: "cancel", text: "Cancel", id: "confirm-cancel" });
      const dialog = el("dialog", { className: "confirm", "aria-labelledby": "confirm-message" },
        el("form", { method: "dialog" }, el("p", { id: "confirm-message", text: message }), el("div", { className: "toolbar" }, cancel, ok)));
      dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "ok"); });
      dialog.addEventListener("click", e => { if (e.target === dialog) dialog.close("cancel"); });
      document.body.append(dialog);
      dialog.showModal();
      cancel.focus();
    });
  }

  return { api, el, value, shortKey, time, size, duration, plot, header, field, confirm };
})();
