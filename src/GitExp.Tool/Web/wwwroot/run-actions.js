// The run page's artifacts with previews, checkpoints, tags, delete/restore, clone-into-queue and live log.
// Everything from the server is set with textContent; previews load from the download URL (images, a
// sandboxed iframe for HTML) or are built as text and tables.
"use strict";
const RunActions = (() => {
  const { api, el, value } = GitExp;
  const previewLimit = 512 * 1024;

  function size(bytes) {
    return GitExp.size(bytes);
  }

  function extension(name) { const m = /\.([a-z0-9]+)$/i.exec(name); return m ? m[1].toLowerCase() : ""; }

  function rowsTable(rows) {
    const [head, ...body] = rows;
    return el("table", { className: "preview-table" },
      el("thead", {}, el("tr", {}, ...head.map(h => el("th", { text: h })))),
      el("tbody", {}, ...body.slice(0, 200).map(r => el("tr", {}, ...r.map(c => el("td", { text: c }))))));
  }

  function jsonRows(data) {
    if (Array.isArray(data) && data.length && data.every(r => r && typeof r === "object" && !Array.isArray(r))) {
      const keys = [...new Set(data.flatMap(Object.keys))];
      return [keys, ...data.map(r => keys.map(k => value(r[k])))];
    }
    if (data && typeof data === "object" && !Array.isArray(data)) {
      const flat = [];
      const walk = (prefix, v) => {
        if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? prefix + "." + k : k, x);
        else flat.push([prefix, value(v)]);
      };
      walk("", data);
      return [["key", "value"], ...flat];
    }
    return null;
  }

  async function preview(name, url, bytes) {
    const ext = extension(name);
    const box = el("figure", { className: "preview" }, el("figcaption", { text: name }));
    if (["png", "jpg", "jpeg", "gif", "svg"].includes(ext)) {
      box.append(el("img", { src: url, alt: name }));
    } else if (["html", "htm"].includes(ext)) {
      const frame = el("iframe", { src: url, title: name });
      frame.setAttribute("sandbox", "");
      box.append(frame);
    } else if (["csv", "tsv", "json", "md", "txt", "log", "yaml", "yml"].includes(ext)) {
      if (bytes > previewLimit) return null;
      const response = await fetch(url);
      if (!response.ok) return null;
      const text = await response.text();
      let table = null;
      if (ext === "csv" || ext === "tsv") {
        const sep = ext === "csv" ? "," : "\t";
        table = rowsTable(text.split(/\r?\n/).filter(l => l.length).map(l => l.split(sep)));
      } else if (ext === "json") {
        try { const rows = jsonRows(JSON.parse(text)); if (rows) table = rowsTable(rows); } catch { /* shown as text */ }
      }
      box.append(table || el("pre", { className: "preview-text", text }));
    } else {
      return null;
    }
    return box;
  }

  // The artifacts table (a directory's files as rows below it) and a preview of each previewable file.
  async function artifacts(base) {
    const section = el("div", { id: "artifacts" });
    let list;
    try { list = await api(base + "/artifacts"); }
    catch (e) { section.append(el("p", { className: "error", text: e.message })); return section; }
    if (list.length === 0) { section.append(el("p", { className: "muted", text: "No artifacts recorded." })); return section; }
    const files = [];
    const body = el("tbody");
    for (const a of list) {
      const url = base + "/artifacts/" + a.path.split("/").map(encodeURIComponent).join("/");
      const link = a.directory ? el("span", { className: "muted", text: "directory" })
        : el("a", { href: url + "?download=1", text: "download", className: "download" });
      body.append(el("tr", { dataset: { path: a.path } }, el("td", { text: a.path }), el("td", { text: a.kind }),
        el("td", { className: "num", text: size(a.size) }), el("td", { className: "hash", text: a.sha256.slice(0, 12), title: a.sha256 }),
        el("td", { text: a.cached ? "cache" : "git" }), el("td", {}, link)));
      if (!a.directory) files.push({ name: a.path, url, size: a.size });
      for (const f of a.files || []) {
        const fileUrl = url + "?file=" + encodeURIComponent(f.path);
        body.append(el("tr", { className: "sub", dataset: { path: a.path + "/" + f.path } }, el("td", { text: "  " + a.path + "/" + f.path }),
          el("td", {}), el("td", { className: "num", text: size(f.size) }), el("td", {}), el("td", {}),
          el("td", {}, el("a", { href: fileUrl + "&download=1", text: "download", className: "download" }))));
        files.push({ name: a.path + "/" + f.path, url: fileUrl, size: f.size });
      }
    }
    section.append(el("table", { id: "artifact-list" },
      el("thead", {}, el("tr", {}, ...["Path", "Kind", "Size", "SHA-256", "From", ""].map(h => el("th", { text: h })))), body));
    const previews = el("div", { className: "previews", id: "previews" });
    section.append(previews);
    for (const f of files.slice(0, 12)) {
      try { const box = await preview(f.name, f.url, f.size); if (box) previews.append(box); } catch { /* no preview */ }
    }
    return section;
  }

  function checkpoints(run) {
    if (!run.checkpoints || run.checkpoints.length === 0) return el("p", { className: "muted", id: "checkpoints", text: "No checkpoints." });
    return el("table", { id: "checkpoints" },
      el("thead", {}, el("tr", {}, el("th", { text: "Step" }), el("th", { text: "Commit" }))),
      el("tbody", {}, ...run.checkpoints.map(c => el("tr", {}, el("td", { className: "num", text: c.step }), el("td", { className: "hash", text: c.commit })))));
  }

  function tags(run, post) {
    const input = el("input", { type: "text", id: "tag-input", placeholder: "new tag" });
    const add = () => { if (input.value.trim()) post("tags", { add: [input.value.trim()] }); };
    input.addEventListener("keydown", e => { if (e.key === "Enter") add(); });
    return el("div", { className: "tags", id: "tags" },
      ...(run.tags || []).map(t => el("span", { className: "tag", dataset: { tag: t } }, t,
        el("button", { className: "untag", title: "Remove tag " + t, text: "×", onclick: () => post("tags", { remove: [t] }) }))),
      input, el("button", { id: "add-tag", text: "Add tag", onclick: add }));
  }

  // Values typed into the form are JSON when they parse as JSON (numbers, booleans, lists), text otherwise.
  function typed(text) { try { return JSON.parse(text); } catch { return text; } }

  function shown(v) { return typeof v === "string" ? v : JSON.stringify(v); }

  // A form of params: returns { node, edits() } where edits() holds only the changed ones.
  function paramsForm(id, params) {
    const inputs = [];
    const body = el("tbody");
    for (const [key, v] of Object.entries(params)) {
      const input = el("input", { type: "text", value: shown(v), dataset: { key }, "aria-label": key });
      inputs.push([key, v, input]);
      body.append(el("tr", { dataset: { key } }, el("td", { text: key }), el("td", {}, input)));
    }
    const node = el("table", { id, className: "params-form" },
      el("thead", {}, el("tr", {}, el("th", { text: "Param" }), el("th", { text: "Value" }))), body);
    return {
      node,
      edits() {
        const out = {};
        for (const [key, v, input] of inputs) if (input.value !== shown(v)) out[key] = typed(input.value);
        return out;
      },
    };
  }

  function cloneForm(run, base) {
    const form = paramsForm("clone-params", run.params);
    const name = el("input", { type: "text", id: "clone-name", placeholder: "name (optional)" });
    const result = el("div", { id: "clone-result" });
    const button = el("button", { id: "clone", className: "primary", text: "Queue clone", onclick: async () => {
      button.disabled = true;
      try {
        const entry = await api(base + "/clone", { method: "POST", body: { params: form.edits(), queue: true, name: name.value || null } });
        result.className = "ok";
        result.textContent = entry.message;
      } catch (e) { result.className = "error"; result.textContent = e.message; }
      button.disabled = false;
    } });
    return el("div", { id: "clone-form" }, form.node, el("div", { className: "toolbar" }, name, button), result);
  }

  // Follows the log while the run is queued or running; calls status(s) when it turns queued or running,
  // stages() when a stage starts or finishes, and done(status) when it ends.
  function follow(base, log, done, status, stages) {
    const source = new EventSource(base + "/log/stream");
    source.addEventListener("status", e => { if (status) status(JSON.parse(e.data)); });
    source.addEventListener("stages", () => { if (stages) stages(); });
    let first = true;
    source.addEventListener("log", e => {
      if (first) { log.textContent = ""; first = false; }
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent += JSON.parse(e.data);
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener("end", e => { source.close(); done(JSON.parse(e.data)); });
    return source;
  }

  // A <datalist> of the groups in use, for group inputs (list = its id); filled when the groups arrive.
  function groupList(id) {
    const list = el("datalist", { id });
    api("/api/groups").then(data => list.replaceChildren(...data.groups.map(g => el("option", { value: g.name }))), () => {});
    return list;
  }

  return { artifacts, checkpoints, tags, cloneForm, paramsForm, follow, typed, groupList };
})();
