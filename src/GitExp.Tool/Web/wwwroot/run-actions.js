// The run page's artifacts with previews, checkpoints, tags, delete/restore, clone-into-queue and live log.
// Everything from the server is set with textContent; previews load from the download URL (images, a
// sandboxed iframe for HTML) or are built as text and tables.
"use strict";
const RunActions = (() => {
  const { api, el, value } = GitExp;
  const previewLimit = 512 * 1024, previewRows = 50;

  function size(bytes) {
    return GitExp.size(bytes);
  }

  function extension(name) { const m = /\.([a-z0-9]+)$/i.exec(name); return m ? m[1].toLowerCase() : ""; }

  function rowsTable(rows) {
    const [head, ...body] = rows;
    return el("table", { className: "preview-table" },
      el("thead", {}, el("tr", {}, ...head.map(h => el("th", { text: h })))),
      el("tbody", {}, ...body.slice(0, previewRows).map(r => el("tr", {}, ...r.map(c => el("td", { text: c })))),
        body.length > previewRows ? el("tr", {}, el("td", { className: "muted", colSpan: head.length, text: `first ${previewRows} of ${body.length} rows` })) : null));
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

  // Fills a preview figure's body; false when there is nothing to show.
  async function preview(box, name, url, bytes) {
    const ext = extension(name);
    const kind = previewKind(name, bytes);
    const body = el("div", { className: "preview-body" });
    if (kind === "image") {
      body.append(el("img", { src: url, alt: name }));
    } else if (kind === "html") {
      const frame = el("iframe", { src: url, title: name });
      frame.setAttribute("sandbox", "");
      body.append(frame);
    } else if (kind === "text") {
      const response = await fetch(url);
      if (!response.ok) return false;
      const text = await response.text();
      let table = null;
      if (ext === "csv" || ext === "tsv") {
        const sep = ext === "csv" ? "," : "\t";
        table = rowsTable(text.split(/\r?\n/).filter(l => l.length).map(l => l.split(sep)));
      } else if (ext === "json") {
        try { const rows = jsonRows(JSON.parse(text)); if (rows) table = rowsTable(rows); } catch { /* shown as text */ }
      }
      body.append(table || el("pre", { className: "preview-text", text }));
    } else {
      return false;
    }
    box.querySelector(".preview-body").replaceWith(body);
    return true;
  }

  // The artifacts table: a folder is a row that opens to its files. Each previewable file gets a preview of a
  // fixed height, loaded only when it scrolls into view (or its tab is shown), so a run with many CSVs stays light.
  async function artifacts(base) {
    const section = el("div", { id: "artifacts" });
    let list;
    try { list = await api(base + "/artifacts"); }
    catch (e) { section.append(el("p", { className: "error", text: e.message })); return section; }
    if (list.length === 0) { section.append(el("p", { className: "muted", text: "No artifacts recorded." })); return section; }
    const files = [];
    const body = el("tbody");
    const cells = (a, name, extra) => [el("td", { text: a.kind || "" }), el("td", { className: "num", text: size(a.size) + (extra || "") }),
      el("td", { className: "hash", text: a.sha256 ? a.sha256.slice(0, 12) : "", title: a.sha256 || "" }),
      el("td", { text: a.cached == null ? "" : a.cached ? "cache" : "git" })];
    for (const a of list) {
      const url = base + "/artifacts/" + a.path.split("/").map(encodeURIComponent).join("/");
      if (a.directory) {
        const subRows = [];
        const toggle = el("button", { type: "button", className: "folder-toggle", text: "▸ " + a.path + "/", dataset: { folder: a.path } });
        toggle.setAttribute("aria-expanded", "false");
        const setOpen = open => {
          toggle.setAttribute("aria-expanded", String(open));
          toggle.textContent = (open ? "▾ " : "▸ ") + a.path + "/";
          for (const r of subRows) r.hidden = !open;
        };
        toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
        body.append(el("tr", { className: "folder", dataset: { path: a.path } }, el("td", {}, toggle),
          ...cells(a, a.path, " · " + (a.files || []).length + " files"), el("td", {})));
        for (const f of a.files || []) {
          const fileUrl = url + "?file=" + encodeURIComponent(f.path);
          const row = el("tr", { className: "sub", hidden: true, dataset: { path: a.path + "/" + f.path } },
            el("td", { className: "indent", text: f.path }), ...cells({ size: f.size }, f.path),
            el("td", {}, el("a", { href: fileUrl + "&download=1", text: "download", className: "download", title: "Download " + a.path + "/" + f.path })));
          subRows.push(row);
          body.append(row);
          files.push({ name: a.path + "/" + f.path, url: fileUrl, size: f.size });
        }
        // A link to the folder (#artifacts/model) opens it.
        if (decodeURIComponent(location.hash.slice(1)) === "artifacts/" + a.path) setOpen(true);
      } else {
        body.append(el("tr", { dataset: { path: a.path } }, el("td", { text: a.path }), ...cells(a, a.path),
          el("td", {}, el("a", { href: url + "?download=1", text: "download", className: "download", title: "Download " + a.path }))));
        files.push({ name: a.path, url, size: a.size });
      }
    }
    section.append(el("div", { className: "table-scroll" }, el("table", { id: "artifact-list" },
      el("thead", {}, el("tr", {}, ...["Path", "Kind", "Size", "SHA-256", "From", "Download"].map(h => el("th", { scope: "col", text: h })))), body)));
    const previewable = files.filter(f => previewKind(f.name, f.size));
    if (previewable.length) section.append(el("h3", { text: "Previews" }));
    const previews = el("div", { className: "previews", id: "previews" });
    section.append(previews);
    const observer = "IntersectionObserver" in window ? new IntersectionObserver(entries => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        fill(entry.target);
      }
    }, { rootMargin: "200px" }) : null;
    async function fill(box) {
      const f = box._file;
      try { if (!(await preview(box, f.name, f.url, f.size))) box.remove(); } catch { box.remove(); }
    }
    for (const f of previewable) {
      const box = el("figure", { className: "preview", dataset: { name: f.name } }, el("figcaption", { text: f.name }),
        el("div", { className: "preview-body muted", text: "Loading preview…" }));
      box._file = f;
      previews.append(box);
      if (observer) observer.observe(box); else fill(box);
    }
    return section;
  }

  function previewKind(name, bytes) {
    const ext = extension(name);
    if (["png", "jpg", "jpeg", "gif", "svg"].includes(ext)) return "image";
    if (["html", "htm"].includes(ext)) return "html";
    if (["csv", "tsv", "json", "md", "txt", "log", "yaml", "yml"].includes(ext) && bytes <= previewLimit) return "text";
    return null;
  }

  function checkpoints(run) {
    if (!run.checkpoints || run.checkpoints.length === 0) return el("p", { className: "muted", id: "checkpoints", text: "No checkpoints." });
    return el("table", { id: "checkpoints" },
      el("thead", {}, el("tr", {}, el("th", { text: "Step" }), el("th", { text: "Commit" }))),
      el("tbody", {}, ...run.checkpoints.map(c => el("tr", {}, el("td", { className: "num", text: c.step }), el("td", { className: "hash", text: c.commit })))));
  }

  function tags(run, post) {
    const input = el("input", { type: "text", id: "tag-input", placeholder: "new tag" });
    input.setAttribute("aria-label", "New tag");
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
      const input = el("input", { type: "text", value: shown(v), dataset: { key } });
      input.setAttribute("aria-label", "Value of " + key);
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
    name.setAttribute("aria-label", "Name of the clone (optional)");
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
