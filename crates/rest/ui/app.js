// ferry's web console. Plain JavaScript with no build step and nothing fetched from elsewhere:
// every view reads the public REST API of the worker serving it, and every button calls it, so
// what the console does a script can do the same way.
"use strict";

const view = document.getElementById("view");
const REFRESH_MS = 3000;
let refreshTimer = null;
let currentRoute = "";

// ---------- small helpers ----------

function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const enc = encodeURIComponent;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls the REST API; answers the parsed JSON (or null), throws ApiError with Kafka's message.
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    const message = data && data.message ? data.message : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  return data;
}

function notify(message, isError) {
  const box = document.getElementById("notice");
  const el = document.createElement("div");
  el.className = "msg" + (isError ? " error" : "");
  el.textContent = message;
  box.appendChild(el);
  setTimeout(() => el.remove(), isError ? 10000 : 4000);
}

// Asks before anything that loses state; resolves true when the user confirms.
function confirmAction(title, text, okLabel) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "cancel";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// Redraws a part of the page that refreshes on its own, without taking keyboard focus away from
// whoever is moving through it: the focused link or button is focused again after the redraw.
const drawn = new WeakMap();
function redraw(el, html) {
  if (drawn.get(el) === html) return;
  drawn.set(el, html);
  const active = document.activeElement;
  const key = active && el.contains(active) ? focusSelector(active) : null;
  el.innerHTML = html;
  if (key) {
    const again = el.querySelector(key);
    if (again) again.focus({ preventScroll: true });
  }
}

function focusSelector(a) {
  if (a.dataset.act) {
    const task = a.dataset.task !== undefined ? `[data-task="${CSS.escape(a.dataset.task)}"]` : "";
    return `[data-act="${CSS.escape(a.dataset.act)}"]${task}`;
  }
  if (a.tagName === "SUMMARY" && a.dataset.trace !== undefined) return `summary[data-trace="${CSS.escape(a.dataset.trace)}"]`;
  const href = a.getAttribute("href");
  return href ? `a[href="${CSS.escape(href)}"]` : null;
}

function stateBadge(state) {
  const s = state || "UNKNOWN";
  return `<span class="state ${esc(s)}">${esc(s)}</span>`;
}

function fmtRate(r) {
  if (r === undefined || r === null) return "—";
  if (r >= 100) return Math.round(r).toLocaleString();
  return r.toFixed(1);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---------- records per second, from the tasks' progress ----------

// Each task's `records` counters in `?progress=true` answers (records a source wrote, records a
// sink put), wherever the task runs, summed per connector and sampled at each refresh.
const history = new Map(); // connector -> [{t, total}]
const HISTORY_POINTS = 120;

function recordsMoved(status) {
  return ((status && status.tasks) || []).reduce((sum, t) => {
    const r = (t.progress && t.progress.records) || {};
    return sum + (r.written ?? r.put ?? 0);
  }, 0);
}

function remember(name, status) {
  const h = history.get(name) || [];
  h.push({ t: Date.now() / 1000, total: recordsMoved(status) });
  if (h.length > HISTORY_POINTS) h.shift();
  history.set(name, h);
}

// Records per second over the last interval; undefined before two samples.
function rateOf(name) {
  const h = history.get(name);
  if (!h || h.length < 2) return undefined;
  const a = h[h.length - 2], b = h[h.length - 1];
  if (b.t <= a.t) return undefined;
  return Math.max(0, (b.total - a.total) / (b.t - a.t));
}

function rateSeries(name) {
  const h = history.get(name) || [];
  const out = [];
  for (let i = 1; i < h.length; i++) {
    const dt = h[i].t - h[i - 1].t;
    if (dt > 0) out.push({ t: h[i].t, rate: Math.max(0, (h[i].total - h[i - 1].total) / dt) });
  }
  return out;
}

// ---------- routing ----------

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "connectors" };
  if (parts[0] === "workers") return { page: "workers" };
  if (parts[0] === "new") return { page: "form" };
  if (parts[0] === "connectors" && parts.length === 2) return { page: "connector", name: parts[1] };
  if (parts[0] === "connectors" && parts[2] === "edit") return { page: "form", name: parts[1] };
  return { page: "missing" };
}

async function render() {
  clearTimeout(refreshTimer);
  const r = route();
  const key = JSON.stringify(r);
  const fresh = key !== currentRoute;
  currentRoute = key;
  for (const a of document.querySelectorAll("[data-nav]")) {
    const on = a.dataset.nav === (r.page === "connector" ? "connectors" : r.page === "form" && !r.name ? "new" : r.page);
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    if (r.page === "connectors") await connectorsPage(fresh);
    else if (r.page === "connector") await connectorPage(r.name, fresh);
    else if (r.page === "workers") await workersPage(fresh);
    else if (r.page === "form") await formPage(r.name);
    else view.innerHTML = `<h1>Not found</h1><p><a href="#/">All connectors</a></p>`;
  } catch (e) {
    if (r.page === "connector" && e.status === 404) {
      view.innerHTML = `<h1>${esc(r.name)}</h1><p class="alert">There is no connector ${esc(r.name)} (any more): ${esc(e.message)}</p><p><a href="#/">All connectors</a></p>`;
    } else if (fresh) {
      view.innerHTML = `<h1>Cannot load this page</h1><p class="alert">${esc(e.message)}</p>`;
    } else {
      // A failed refresh (the worker restarting, say) is said once and tried again.
      notify(`Refresh failed: ${e.message}`, true);
      scheduleRefresh();
    }
  }
  if (fresh) {
    document.title = `${r.name ? r.name + " · " : ""}ferry console`;
    view.focus({ preventScroll: true });
  }
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const at = currentRoute;
  refreshTimer = setTimeout(() => {
    if (at === currentRoute && !document.querySelector("dialog[open]")) render();
    else scheduleRefresh();
  }, REFRESH_MS);
}

// ---------- connectors list ----------

const listFilter = { text: "", state: "", type: "" };

async function loadConnectors() {
  const all = await api("GET", "/connectors?expand=status&expand=info&progress=true");
  return Object.entries(all || {}).map(([name, e]) => {
    const st = e.status || {};
    remember(name, st);
    const tasks = st.tasks || [];
    return {
      name,
      type: st.type || (e.info && e.info.type) || "",
      className: (e.info && e.info.config && e.info.config["connector.class"]) || "",
      state: (st.connector && st.connector.state) || "UNKNOWN",
      worker: (st.connector && st.connector.worker_id) || "",
      tasks,
      running: tasks.filter((t) => t.state === "RUNNING").length,
      failed: tasks.filter((t) => t.state === "FAILED").length,
    };
  });
}

function matches(c) {
  const text = listFilter.text.toLowerCase();
  if (text && !c.name.toLowerCase().includes(text) && !c.className.toLowerCase().includes(text)) return false;
  if (listFilter.type && c.type !== listFilter.type) return false;
  if (listFilter.state === "TASK_FAILED") return c.failed > 0 || c.state === "FAILED";
  if (listFilter.state && c.state !== listFilter.state) return false;
  return true;
}

async function connectorsPage(fresh) {
  const connectors = await loadConnectors();
  if (fresh || !document.getElementById("connector-rows")) {
    view.innerHTML = `
      <h1>Connectors</h1>
      <div class="filters" role="search">
        <div><label for="f-text">Filter by name or class</label>
          <input type="search" id="f-text" value="${esc(listFilter.text)}" placeholder="e.g. orders"></div>
        <div><label for="f-state">State</label>
          <select id="f-state">
            ${["", "RUNNING", "PAUSED", "STOPPED", "FAILED", "UNASSIGNED", "TASK_FAILED"].map((s) =>
              `<option value="${s}"${s === listFilter.state ? " selected" : ""}>${s === "" ? "Any" : s === "TASK_FAILED" ? "With a failed task" : s}</option>`).join("")}
          </select></div>
        <div><label for="f-type">Type</label>
          <select id="f-type">
            ${["", "source", "sink"].map((s) => `<option value="${s}"${s === listFilter.type ? " selected" : ""}>${s || "Any"}</option>`).join("")}
          </select></div>
        <a class="button" href="#/new">New connector</a>
      </div>
      <p id="connector-count" class="muted" aria-live="polite"></p>
      <table class="cards" aria-describedby="connector-count">
        <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">State</th>
          <th scope="col">Tasks</th><th scope="col">Worker</th><th scope="col" class="num">Records/s</th></tr></thead>
        <tbody id="connector-rows"></tbody>
      </table>`;
    document.getElementById("f-text").addEventListener("input", (e) => { listFilter.text = e.target.value; fillConnectorRows(lastConnectors); });
    document.getElementById("f-state").addEventListener("change", (e) => { listFilter.state = e.target.value; fillConnectorRows(lastConnectors); });
    document.getElementById("f-type").addEventListener("change", (e) => { listFilter.type = e.target.value; fillConnectorRows(lastConnectors); });
  }
  fillConnectorRows(connectors);
  scheduleRefresh();
}

let lastConnectors = [];

function fillConnectorRows(connectors) {
  lastConnectors = connectors;
  const rows = document.getElementById("connector-rows");
  if (!rows) return;
  connectors.sort((a, b) => a.name.localeCompare(b.name));
  const shown = connectors.filter(matches);
  redraw(rows, shown.map((c) => {
    const workers = [...new Set([c.worker, ...c.tasks.map((t) => t.worker_id)].filter(Boolean))];
    const href = `#/connectors/${enc(c.name)}`;
    return `<tr data-connector="${esc(c.name)}">
      <td data-label="Name"><a href="${href}">${esc(c.name)}</a><div class="muted mono">${esc(c.className)}</div></td>
      <td data-label="Type">${esc(c.type)}</td>
      <td data-label="State">${stateBadge(c.state)}</td>
      <td data-label="Tasks">${c.running}/${c.tasks.length} running${c.failed ? ` <span class="failed-count">${c.failed} failed</span>` : ""}</td>
      <td data-label="Worker" class="mono">${workers.map(esc).join("<br>")}</td>
      <td data-label="Records/s" class="num">${fmtRate(rateOf(c.name))}</td>
    </tr>`;
  }).join(""));
  const count = document.getElementById("connector-count");
  count.textContent = connectors.length === 0
    ? "No connectors yet."
    : `Showing ${shown.length} of ${plural(connectors.length, "connector")}.`;
}

// ---------- one connector ----------

// Keys whose values are secrets: the plugin's PASSWORD settings and the usual names. A value
// that is a config provider placeholder (${file:...}) is shown: it names, never holds, the secret.
const SECRET_NAME = /(password|secret|token|credential|api[._-]?key|private[._-]?key|jaas\.config|keystore\.key)/i;

function shownValue(key, value, passwordKeys) {
  const v = String(value ?? "");
  if (/^\$\{[^}]+\}$/.test(v.trim())) return `<code>${esc(v)}</code>`;
  if ((passwordKeys.has(key) || SECRET_NAME.test(key)) && v !== "") return `<span class="muted">hidden</span>`;
  return `<code>${esc(v)}</code>`;
}

async function pluginDefinitions(className) {
  if (!className) return [];
  try {
    return (await api("GET", `/connector-plugins/${enc(className)}/config`)) || [];
  } catch {
    return [];
  }
}

async function connectorPage(name, fresh) {
  const base = `/connectors/${enc(name)}`;
  const [status, config, offsets, topics] = await Promise.all([
    // Each task's progress too (a ferry extension; Kafka's workers ignore the parameter).
    api("GET", `${base}/status?progress=true`),
    api("GET", `${base}/config`),
    api("GET", `${base}/offsets`).catch((e) => ({ error: e.message })),
    api("GET", `${base}/topics`).catch(() => null),
  ]);
  remember(name, status);
  const state = status.connector ? status.connector.state : "UNKNOWN";
  const className = config["connector.class"] || "";
  if (fresh || !document.getElementById("connector-live")) {
    const defs = await pluginDefinitions(className);
    const passwordKeys = new Set(defs.filter((d) => d.type === "PASSWORD").map((d) => d.name));
    view.innerHTML = `<div id="connector-page">
      <p><a href="#/">← All connectors</a></p>
      <h1>${esc(name)}</h1>
      <div id="connector-live"></div>
      <h2 id="actions-title">Actions</h2>
      <div class="actions" role="group" aria-labelledby="actions-title">
        <button data-act="pause">Pause</button>
        <button data-act="resume">Resume</button>
        <button data-act="stop">Stop</button>
        <button data-act="restart">Restart connector</button>
        <button data-act="restart-all">Restart with tasks</button>
        <button data-act="restart-failed">Restart failed tasks</button>
        <a class="button" href="#/connectors/${enc(name)}/edit">Edit config</a>
        <button data-act="delete" class="danger">Delete</button>
      </div>
      <h2>Throughput</h2>
      <div id="throughput"></div>
      <h2>Offsets</h2>
      <div id="offsets"></div>
      <div class="actions">
        <button data-act="reset-offsets" class="danger">Reset offsets</button>
        <button data-act="show-alter">Alter offsets…</button>
      </div>
      <div id="alter" hidden>
        <label for="alter-json">Offsets to write (JSON, as <code>PATCH ${esc(base)}/offsets</code> takes them)</label>
        <textarea id="alter-json" rows="8"></textarea>
        <div class="buttons"><button data-act="alter-offsets" class="danger">Write offsets</button></div>
      </div>
      <p class="muted">Offsets can be reset or altered only while the connector is STOPPED.</p>
      <h2>Topics</h2>
      <div id="topics"></div>
      <h2>Config</h2>
      <table class="cards"><thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead><tbody>
      ${Object.keys(config).sort().map((k) => `<tr><td data-label="Key" class="mono">${esc(k)}</td><td data-label="Value">${shownValue(k, config[k], passwordKeys)}</td></tr>`).join("")}
      </tbody></table></div>`;
    document.getElementById("connector-page").addEventListener("click", (e) => act(e, name, base));
  }
  redraw(document.getElementById("connector-live"), liveSection(name, status, className));
  redraw(document.getElementById("throughput"), throughputSection(name));
  redraw(document.getElementById("offsets"), offsetsSection(offsets));
  const alter = document.getElementById("alter-json");
  if (alter && !alter.value && offsets && offsets.offsets) alter.value = JSON.stringify({ offsets: offsets.offsets }, null, 2);
  const topicList = topics && topics[name] ? topics[name].topics : [];
  redraw(document.getElementById("topics"), topicList.length
    ? `<ul>${topicList.map((t) => `<li class="mono">${esc(t)}</li>`).join("")}</ul>`
    : `<p class="muted">No topics in use recorded.</p>`);
  for (const b of view.querySelectorAll("[data-act]")) {
    const a = b.dataset.act;
    b.disabled = (a === "pause" && state === "PAUSED") || (a === "resume" && state === "RUNNING") || (a === "stop" && state === "STOPPED");
  }
  scheduleRefresh();
}

// Traces the user folded stay folded across refreshes (per task id, "c" for the connector).
const closedTraces = new Set();
document.addEventListener("toggle", (e) => {
  const summary = e.target.querySelector && e.target.querySelector(":scope > summary[data-trace]");
  if (!summary) return;
  if (e.target.open) closedTraces.delete(summary.dataset.trace);
  else closedTraces.add(summary.dataset.trace);
}, true);

function liveSection(name, status, className) {
  const c = status.connector || {};
  const tasks = status.tasks || [];
  return `
    <dl class="grid">
      <div><dt>State</dt><dd>${stateBadge(c.state)}</dd></div>
      <div><dt>Type</dt><dd>${esc(status.type)}</dd></div>
      <div><dt>Class</dt><dd class="mono">${esc(className)}</dd></div>
      <div><dt>Worker</dt><dd class="mono">${esc(c.worker_id)}</dd></div>
      <div><dt>Records/s</dt><dd>${fmtRate(rateOf(name))}</dd></div>
    </dl>
    ${c.trace ? `<details${closedTraces.has("c") ? "" : " open"}><summary data-trace="c">Connector trace</summary><pre>${esc(c.trace)}</pre></details>` : ""}
    <h2>Tasks</h2>
    ${tasks.length === 0 ? `<p class="muted">No tasks.</p>` : `
    <table class="cards"><thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Worker</th>
      <th scope="col">Progress</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>
    ${tasks.map((t) => `
      <tr data-task="${t.id}">
        <td data-label="Task">${t.id}</td>
        <td data-label="State">${stateBadge(t.state)}</td>
        <td data-label="Worker" class="mono">${esc(t.worker_id)}</td>
        <td data-label="Progress">${progressCell(t.progress)}</td>
        <td data-label="Action"><button data-act="restart-task" data-task="${t.id}">Restart task ${t.id}</button></td>
      </tr>
      ${t.trace ? `<tr><td colspan="5"><details${closedTraces.has(String(t.id)) ? "" : " open"}><summary data-trace="${t.id}">Task ${t.id} trace</summary><pre class="trace">${esc(t.trace)}</pre></details></td></tr>` : ""}`).join("")}
    </tbody></table>`}`;
}

function bar(done, total) {
  if (!total) return "";
  const pct = Math.min(100, Math.round((100 * done) / total));
  return `<div class="progress-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct}"><span style="width:${pct}%"></span></div>`;
}

function progressCell(p) {
  if (!p) return `<span class="muted">—</span>`;
  const parts = [];
  if (p.snapshot) {
    const s = p.snapshot;
    const rows = s.rows_estimated ? `${(s.rows_done || 0).toLocaleString()} of ~${s.rows_estimated.toLocaleString()} rows` : `${(s.rows_done || 0).toLocaleString()} rows`;
    parts.push(`<div>Snapshot ${esc(s.state || "")}: ${s.tables_done ?? 0} of ${s.tables_total ?? "?"} tables, ${rows}${s.current_table ? `, now <code>${esc(s.current_table)}</code>` : ""}</div>${bar(s.tables_done || 0, s.tables_total || 0)}`);
  }
  if (p.sink_lag) {
    parts.push(`<div>Lag: ${Number(p.sink_lag.total || 0).toLocaleString()} records</div>`);
  }
  if (p.records) {
    const r = p.records;
    parts.push(`<div>${r.written !== undefined ? `${Number(r.written).toLocaleString()} records written` : `${Number(r.put || 0).toLocaleString()} records put`}</div>`);
  }
  if (p.source_offsets && p.source_offsets.length) {
    parts.push(p.source_offsets.map((o) => `<div class="mono">${esc(JSON.stringify(o.offset))}</div>`).join(""));
  }
  return parts.join("") || `<span class="muted">—</span>`;
}

function throughputSection(name) {
  const series = rateSeries(name);
  if (series.length < 2) return `<p class="muted">Measuring… (records/s of all its tasks, sampled every ${REFRESH_MS / 1000} s while this page is open)</p>`;
  const w = 600, h = 120, max = Math.max(1, ...series.map((p) => p.rate));
  const t0 = series[0].t, t1 = series[series.length - 1].t || t0 + 1;
  const pts = series.map((p) => `${((p.t - t0) / Math.max(1, t1 - t0)) * w},${h - 4 - (p.rate / max) * (h - 10)}`).join(" ");
  const last = series[series.length - 1].rate;
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img"
      aria-label="Records per second over the last ${Math.round(t1 - t0)} seconds; now ${fmtRate(last)}, peak ${fmtRate(max)}">
      <polyline points="${pts}"></polyline></svg>
    <p class="muted">Now ${fmtRate(last)} records/s, peak ${fmtRate(max)}, over the last ${Math.round(t1 - t0)} s, all tasks.</p>`;
}

function offsetsSection(offsets) {
  if (!offsets) return "";
  if (offsets.error) return `<p class="muted">${esc(offsets.error)}</p>`;
  const list = offsets.offsets || [];
  if (list.length === 0) return `<p class="muted">No offsets committed.</p>`;
  return `<table class="cards"><thead><tr><th scope="col">Partition</th><th scope="col">Offset</th></tr></thead><tbody>
    ${list.map((o) => `<tr><td data-label="Partition" class="mono">${esc(JSON.stringify(o.partition))}</td><td data-label="Offset" class="mono">${esc(JSON.stringify(o.offset))}</td></tr>`).join("")}
    </tbody></table>`;
}

async function act(e, name, base) {
  const button = e.target.closest("button[data-act]");
  if (!button) return;
  const a = button.dataset.act;
  try {
    switch (a) {
      case "pause": await api("PUT", `${base}/pause`); notify(`Pause of ${name} requested.`); break;
      case "resume": await api("PUT", `${base}/resume`); notify(`Resume of ${name} requested.`); break;
      case "stop":
        if (!(await confirmAction(`Stop ${name}?`, "Its tasks shut down and stay down until it is resumed. Offsets are kept.", "Stop"))) return;
        await api("PUT", `${base}/stop`); notify(`Stop of ${name} requested.`); break;
      case "restart": await api("POST", `${base}/restart`); notify(`${name} restarted.`); break;
      case "restart-all": await api("POST", `${base}/restart?includeTasks=true&onlyFailed=false`); notify(`${name} and its tasks restarting.`); break;
      case "restart-failed": await api("POST", `${base}/restart?includeTasks=true&onlyFailed=true`); notify(`Failed parts of ${name} restarting.`); break;
      case "restart-task": {
        const id = button.dataset.task;
        await api("POST", `${base}/tasks/${enc(id)}/restart`); notify(`Task ${id} of ${name} restarting.`); break;
      }
      case "delete":
        if (!(await confirmAction(`Delete ${name}?`, "The connector and its tasks are removed from the cluster. Its committed offsets stay in the offsets topic, but its config is gone.", "Delete connector"))) return;
        await api("DELETE", base);
        notify(`${name} deleted.`);
        location.hash = "#/";
        return;
      case "reset-offsets":
        if (!(await confirmAction(`Reset the offsets of ${name}?`, "Every committed offset of this connector is erased: when it runs again, it starts from the beginning (a source re-reads, a sink re-consumes its topics).", "Reset offsets"))) return;
        notify((await api("DELETE", `${base}/offsets`)).message || "Offsets reset.");
        break;
      case "show-alter": {
        const box = document.getElementById("alter");
        box.hidden = !box.hidden;
        if (!box.hidden) document.getElementById("alter-json").focus();
        return;
      }
      case "alter-offsets": {
        let body;
        try { body = JSON.parse(document.getElementById("alter-json").value); } catch (err) {
          notify(`The offsets are not valid JSON: ${err.message}`, true); return;
        }
        if (!(await confirmAction(`Write offsets of ${name}?`, "The offsets given replace the committed ones: the connector resumes from them.", "Write offsets"))) return;
        notify((await api("PATCH", `${base}/offsets`, body)).message || "Offsets altered.");
        break;
      }
      default: return;
    }
  } catch (err) {
    notify(`${button.textContent.trim()} failed: ${err.message}`, true);
    return;
  }
  setTimeout(render, 400);
}

// ---------- workers ----------

async function workersPage(fresh) {
  const [all, group] = await Promise.all([
    api("GET", "/connectors?expand=status").then((a) => a || {}),
    // The group as its coordinator sees it (a ferry extension): idle workers too, and the
    // leader. A standalone worker answers 404; then the statuses alone tell what runs where.
    api("GET", "/workers").catch(() => null),
  ]);
  const connectorState = new Map();
  const taskState = new Map();
  const workers = new Map();
  const at = (w) => {
    if (!workers.has(w)) workers.set(w, { connectors: [], tasks: [], leader: false });
    return workers.get(w);
  };
  for (const [name, e] of Object.entries(all)) {
    const st = e.status || {};
    if (st.connector) connectorState.set(name, st.connector.state);
    for (const t of st.tasks || []) taskState.set(`${name}/${t.id}`, t.state);
    if (!group) {
      if (st.connector && st.connector.worker_id) at(st.connector.worker_id).connectors.push(name);
      for (const t of st.tasks || []) if (t.worker_id) at(t.worker_id).tasks.push({ connector: name, task: t.id });
    }
  }
  if (group) {
    for (const w of group.workers) Object.assign(at(w.worker_id), { connectors: w.connectors, tasks: w.tasks, leader: w.leader });
  }
  const ids = [...workers.keys()].sort();
  if (fresh || !document.getElementById("workers-body")) {
    view.innerHTML = `<h1>Workers</h1><p class="muted" id="workers-about"></p><div id="workers-body"></div>`;
  }
  document.getElementById("workers-about").textContent = group
    ? `Group ${group.group}, ${group.state}: ${plural(ids.length, "worker")}, as the group's coordinator knows them. This page is served by ${location.host}.`
    : `Workers running at least one connector or task, from the connectors' status. This page is served by ${location.host}.`;
  redraw(document.getElementById("workers-body"), `
    ${ids.length === 0 ? `<p>Nothing runs yet.</p>` : ids.map((w) => {
      const x = workers.get(w);
      return `<section class="worker" aria-label="Worker ${esc(w)}">
        <h2 class="mono">${esc(w)}</h2>
        <p>${x.leader ? "<strong>Leader</strong> · " : ""}${plural(x.connectors.length, "connector")}, ${plural(x.tasks.length, "task")}${x.connectors.length + x.tasks.length === 0 ? " (idle)" : ""}</p>
        ${x.connectors.length + x.tasks.length === 0 ? "" : `<table class="cards"><thead><tr><th scope="col">Runs</th><th scope="col">State</th></tr></thead><tbody>
        ${x.connectors.map((c) => `<tr><td data-label="Runs"><a href="#/connectors/${enc(c)}">${esc(c)}</a> (connector)</td><td data-label="State">${stateBadge(connectorState.get(c))}</td></tr>`).join("")}
        ${x.tasks.map((t) => `<tr><td data-label="Runs"><a href="#/connectors/${enc(t.connector)}">${esc(t.connector)}</a> task ${t.task}</td><td data-label="State">${stateBadge(taskState.get(`${t.connector}/${t.task}`))}</td></tr>`).join("")}
        </tbody></table>`}</section>`;
    }).join("")}`);
  scheduleRefresh();
}

// ---------- create or edit ----------

function inputFor(def, value) {
  const id = `cfg-${def.name}`;
  const v = value ?? "";
  const described = `help-${def.name} err-${def.name}`;
  if (def.type === "BOOLEAN") {
    const opts = [["", `Default (${def.default_value ?? "none"})`], ["true", "true"], ["false", "false"]];
    return `<select id="${esc(id)}" name="${esc(def.name)}" aria-describedby="${esc(described)}">${opts.map(([o, l]) => `<option value="${o}"${String(v) === o ? " selected" : ""}>${esc(l)}</option>`).join("")}</select>`;
  }
  const type = def.type === "PASSWORD" ? "password" : "text";
  const placeholder = def.default_value !== null && def.default_value !== undefined && def.default_value !== "" ? `default: ${def.default_value}` : "";
  return `<input type="${type}" id="${esc(id)}" name="${esc(def.name)}" value="${esc(v)}" placeholder="${esc(placeholder)}" autocomplete="off" aria-describedby="${esc(described)}"${def.required ? " required" : ""}>`;
}

function fieldHtml(def, value) {
  return `<div class="field" data-field="${esc(def.name)}">
    <label for="cfg-${esc(def.name)}">${esc(def.display_name || def.name)}${def.display_name && def.display_name !== def.name ? ` <span class="mono muted">${esc(def.name)}</span>` : ""}${def.required ? ` <span class="required">(required)</span>` : ""}</label>
    ${inputFor(def, value)}
    <div class="error" id="err-${esc(def.name)}"></div>
    <div class="help" id="help-${esc(def.name)}">${esc(def.documentation || "")}</div>
  </div>`;
}

// Keys the form shows as fields are never also in "other settings"; the name is its own field.
function splitConfig(config, defs) {
  const known = new Set(defs.map((d) => d.name));
  const other = Object.keys(config).filter((k) => !known.has(k) && k !== "name" && k !== "connector.class");
  return other.map((k) => `${k}=${config[k]}`).join("\n");
}

async function formPage(name) {
  const editing = Boolean(name);
  const plugins = (await api("GET", "/connector-plugins?connectorsOnly=true")) || [];
  const existing = editing ? await api("GET", `/connectors/${enc(name)}/config`) : {};
  const initialClass = existing["connector.class"] || "";
  view.innerHTML = `
    ${editing ? `<p><a href="#/connectors/${enc(name)}">← ${esc(name)}</a></p>` : ""}
    <h1>${editing ? `Edit ${esc(name)}` : "New connector"}</h1>
    <form id="connector-form" novalidate>
      <div id="form-errors" tabindex="-1"></div>
      <div class="field"><label for="f-name">Name <span class="required">(required)</span></label>
        <input type="text" id="f-name" value="${esc(name || "")}" ${editing ? "readonly" : ""} autocomplete="off"></div>
      <div class="field"><label for="f-class">Connector plugin <span class="required">(required)</span></label>
        <select id="f-class">
          <option value="">Choose a plugin…</option>
          ${plugins.map((p) => `<option value="${esc(p.class)}"${p.class === initialClass ? " selected" : ""}>${esc(p.class)} (${esc(p.type)}${p.version ? ", " + esc(p.version) : ""})</option>`).join("")}
          ${initialClass && !plugins.some((p) => p.class === initialClass) ? `<option value="${esc(initialClass)}" selected>${esc(initialClass)}</option>` : ""}
        </select></div>
      <div id="plugin-fields"></div>
      <div class="field"><label for="f-other">Other settings, one <code>key=value</code> per line (transforms, converters, overrides)</label>
        <textarea id="f-other" rows="5" spellcheck="false"></textarea></div>
      <div class="buttons">
        <button type="button" id="validate">Validate</button>
        <button type="submit" class="primary">${editing ? "Save" : "Create"}</button>
      </div>
    </form>`;
  const form = document.getElementById("connector-form");
  const classSelect = document.getElementById("f-class");
  let defs = [];
  const loadFields = async (values) => {
    const className = classSelect.value;
    defs = className ? await pluginDefinitions(className) : [];
    const own = defs.filter((d) => d.name !== "name" && d.name !== "connector.class");
    const main = own.filter((d) => d.required || d.importance === "HIGH" || (values[d.name] !== undefined && values[d.name] !== ""));
    const rest = own.filter((d) => !main.includes(d));
    const groups = (list) => {
      const by = new Map();
      for (const d of list) {
        const g = d.group || "Common";
        if (!by.has(g)) by.set(g, []);
        by.get(g).push(d);
      }
      return [...by].map(([g, ds]) => `<fieldset><legend>${esc(g)}</legend>${ds.map((d) => fieldHtml(d, values[d.name])).join("")}</fieldset>`).join("");
    };
    document.getElementById("plugin-fields").innerHTML = className ? `
      ${groups(main)}
      ${rest.length ? `<details><summary>All other settings (${rest.length})</summary>${groups(rest)}</details>` : ""}` : "";
    document.getElementById("f-other").value = splitConfig(values, defs);
  };
  await loadFields(existing);
  classSelect.addEventListener("change", () => loadFields(collect().config));

  function collect() {
    const config = {};
    const problems = [];
    const className = classSelect.value;
    if (className) config["connector.class"] = className;
    for (const el of form.querySelectorAll("#plugin-fields [name]")) {
      if (el.value !== "") config[el.name] = el.value;
    }
    document.getElementById("f-other").value.split("\n").forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith("#")) return;
      const eq = l.indexOf("=");
      if (eq <= 0) problems.push(`Other settings, line ${i + 1}: "${l}" is not key=value.`);
      else config[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
    });
    return { config, problems };
  }

  // Marks each field the plugin refused with its errors, and sums up every problem above the
  // form (also those of keys without a field of their own); answers how many there are.
  function showErrors(problems, perField) {
    for (const f of form.querySelectorAll(".field")) {
      f.classList.remove("invalid");
      const err = f.querySelector(".error");
      if (err) err.textContent = "";
      const input = f.querySelector("[name]");
      if (input) input.removeAttribute("aria-invalid");
    }
    for (const [key, errors] of perField) {
      const f = form.querySelector(`.field[data-field="${CSS.escape(key)}"]`);
      if (!f) continue;
      f.classList.add("invalid");
      f.querySelector(".error").textContent = errors.join(" ");
      f.querySelector("[name]").setAttribute("aria-invalid", "true");
      const details = f.closest("details");
      if (details) details.open = true;
    }
    const lines = [...problems, ...[...perField].map(([k, e]) => `${k}: ${e.join(" ")}`)];
    const box = document.getElementById("form-errors");
    box.innerHTML = lines.length ? `<div class="alert" role="alert"><strong>${plural(lines.length, "problem")} to fix</strong>
      <ul>${lines.map((m) => `<li>${esc(m)}</li>`).join("")}</ul></div>` : "";
    if (lines.length) box.focus();
    return lines.length;
  }

  // Validates through the plugin's own checks (PUT .../config/validate); answers the error count.
  async function validate() {
    const { config, problems } = collect();
    const connectorName = document.getElementById("f-name").value.trim();
    if (!connectorName) problems.push("Name: a connector needs a name.");
    if (!config["connector.class"]) problems.push("Connector plugin: choose one.");
    const perField = new Map();
    if (config["connector.class"]) {
      const answer = await api("PUT", `/connector-plugins/${enc(config["connector.class"])}/config/validate`, { ...config, name: connectorName });
      for (const c of answer.configs || []) {
        const errs = (c.value && c.value.errors) || [];
        if (errs.length) perField.set(c.value.name, errs);
      }
    }
    return showErrors(problems, perField);
  }

  document.getElementById("validate").addEventListener("click", async () => {
    try {
      if ((await validate()) === 0) {
        document.getElementById("form-errors").innerHTML = `<div class="alert ok" role="status">The plugin accepts this configuration.</div>`;
      }
    } catch (err) {
      notify(`Validation failed: ${err.message}`, true);
    }
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      if ((await validate()) > 0) return;
      const connectorName = document.getElementById("f-name").value.trim();
      const { config } = collect();
      await api("PUT", `/connectors/${enc(connectorName)}/config`, config);
      notify(`${connectorName} ${editing ? "saved" : "created"}.`);
      location.hash = `#/connectors/${enc(connectorName)}`;
    } catch (err) {
      showErrors([err.message], new Map());
    }
  });
}

// ---------- start ----------

async function workerInfo() {
  try {
    const root = await api("GET", "/");
    // `version` is the Kafka Connect version ferry answers as; `commit` names ferry's own.
    const own = String(root.commit || "").replace(/^ferry-/, "");
    document.getElementById("worker-info").textContent =
      `${location.host} · ferry ${own || "?"} (Kafka Connect ${root.version || "?"} API) · Kafka cluster ${root.kafka_cluster_id || "?"}`;
  } catch {
    /* the header line is informative only */
  }
}

window.addEventListener("hashchange", render);
workerInfo();
render();
