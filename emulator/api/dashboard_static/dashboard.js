// lambdock dashboard: polls /_lambdock/api/... and invokes through the Lambda Invoke API.
// Plain JavaScript, no build step. Every text from lambdock goes in with textContent.
"use strict";

const API = "api";
const INVOKE = (name) => `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
const KEEP_ROWS = 200;
const state = { cursor: 0, functions: [], selected: null, offline: false, rows: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function ms(value) {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(2)} s`;
}

function clock(epochMs) {
  const moment = new Date(epochMs);
  return moment.toLocaleTimeString([], { hour12: false }) + "." + String(moment.getMilliseconds()).padStart(3, "0");
}

function shortId(requestId) {
  return requestId.split("-")[0].slice(0, 8);
}

// --- functions --------------------------------------------------------------------------

function latencyChart(points) {
  const width = 300, height = 52, gap = 1;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img" });
  chart.append(svg("title", {}, "latency of recent invocations (amber: cold start, red: error)"));
  if (!points.length) return chart;
  const top = Math.max(...points.map((p) => p.ms), 1);
  const slots = Math.max(points.length, 20);
  const barWidth = width / slots - gap;
  points.forEach((point, index) => {
    const barHeight = Math.max(2, (point.ms / top) * (height - 4));
    const kind = point.status !== "ok" ? "error" : point.cold ? "cold" : "warm";
    const bar = svg("rect", {
      class: kind, x: index * (barWidth + gap), y: height - barHeight, width: barWidth, height: barHeight,
    });
    bar.append(svg("title", {}, `${ms(point.ms)} ${point.cold ? "cold" : "warm"} ${point.status}`));
    chart.append(bar);
  });
  const sorted = points.map((p) => p.ms).sort((a, b) => a - b);
  const median = sorted[Math.ceil(sorted.length / 2) - 1];
  const y = height - Math.max(2, (median / top) * (height - 4));
  chart.append(svg("line", { class: "median", x1: 0, x2: width, y1: y, y2: y }));
  return chart;
}

function functionCard(fn) {
  const idle = fn.environments.filter((e) => e.state === "idle").length;
  const busy = fn.environments.filter((e) => e.state === "busy").length;
  const stats = fn.stats;
  return el("div", { class: "function", "data-function": fn.functionName },
    el("div", { class: "name" }, fn.functionName),
    el("div", { class: "meta" }, `${fn.runtime} · ${fn.handler || ""} · ${fn.memorySize} MB · ${fn.timeout} s`),
    el("div", { class: "chips" },
      fn.routes.map((r) => el("span", { class: "chip", title: `${r.api} event ${r.name}` }, `${r.method} ${r.path}`)),
      fn.triggers.map((t) => el("span", { class: "chip trigger", title: `event ${t.name}` }, `${t.type} ${t.detail}`.trim())),
      el("span", { class: "chip env", title: "execution environments" }, `${idle} idle · ${busy} busy`)),
    el("div", { class: "numbers" },
      el("span", {}, el("b", {}, stats.invocations), " invocations"),
      el("span", {}, el("b", {}, stats.errors), " errors"),
      el("span", {}, "p50 ", el("b", {}, ms(stats.p50Ms))),
      el("span", {}, "p95 ", el("b", {}, ms(stats.p95Ms)))),
    latencyChart(stats.chart));
}

function renderFunctions(overview) {
  const box = document.getElementById("functions");
  box.replaceChildren(...overview.functions.map(functionCard));
  if (!overview.functions.length) box.append(el("p", { class: "empty" }, "The template has no functions."));
  const select = document.getElementById("invoke-function");
  const names = overview.functions.map((f) => f.functionName);
  const current = [...select.options].map((o) => o.value);
  if (names.join("\n") !== current.join("\n")) {
    const chosen = select.value;
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (names.includes(chosen)) select.value = chosen;
  }
}

function renderHeader(overview) {
  document.getElementById("stack").textContent =
    `${overview.stackName} · ${overview.template} · ${overview.region} · ${overview.backend} backend`;
  const watch = document.getElementById("watch");
  const watching = overview.watch && overview.watch.watching;
  watch.textContent = watching ? `hot reload on · ${overview.watch.reloads} reloads` : "hot reload off";
  watch.className = watching ? "pill on" : "pill";
  const banner = document.getElementById("reload-error");
  const error = overview.watch && overview.watch.error;
  banner.hidden = !error;
  banner.textContent = error ? `The template does not load; still serving the last good one.\n${error}` : "";
}

function renderRunning(functions) {
  // Invocations still running: one row each above the finished ones, replaced on every refresh.
  const body = document.querySelector("#invocations tbody");
  for (const row of body.querySelectorAll("tr.running")) row.remove();
  const now = Date.now();
  for (const fn of functions) {
    for (const env of fn.environments) {
      if (!env.running) continue;
      body.prepend(el("tr", { class: "running", "data-request-id": env.running.requestId },
        el("td", { class: "mono" }, clock(env.running.startedAt)),
        el("td", {}, fn.functionName),
        el("td", { class: "mono", title: env.running.requestId }, shortId(env.running.requestId)),
        el("td", {}, badge("running", null)),
        el("td", { class: "num" }, ms(Math.max(0, now - env.running.startedAt))),
        el("td", {}, ""), el("td", {}, "")));
      document.getElementById("no-invocations").hidden = true;
    }
  }
}

async function refreshOverview() {
  const overview = await getJSON(`${API}/overview`);
  state.functions = overview.functions;
  renderHeader(overview);
  renderFunctions(overview);
  renderRunning(overview.functions);
}

// --- invocations ------------------------------------------------------------------------

function badge(status, errorType) {
  return el("span", { class: `badge ${status}`, title: errorType || status }, errorType ? `${status}: ${errorType}` : status);
}

function invocationRow(inv) {
  const start = inv.cold ? (inv.initDurationMs ? `cold (init ${ms(inv.initDurationMs)})` : "cold") : "warm";
  const row = el("tr", { "data-request-id": inv.requestId, onclick: () => showLog(inv.requestId) },
    el("td", { class: "mono" }, clock(inv.startedAt)),
    el("td", {}, inv.functionName),
    el("td", { class: "mono", title: inv.requestId }, shortId(inv.requestId)),
    el("td", {}, badge(inv.status, inv.errorType)),
    el("td", { class: "num" }, ms(inv.durationMs)),
    el("td", {}, start),
    el("td", { class: "num" }, `${inv.maxMemoryMb}/${inv.memorySize} MB`));
  if (inv.requestId === state.selected) row.classList.add("selected");
  return row;
}

async function refreshInvocations() {
  const found = await getJSON(`${API}/invocations?after=${state.cursor}&limit=${KEEP_ROWS}`);
  state.cursor = found.cursor;
  if (!found.invocations.length) return;
  const body = document.querySelector("#invocations tbody");
  for (const inv of found.invocations) {
    body.querySelector(`tr.running[data-request-id="${inv.requestId}"]`)?.remove();
    const firstFinished = body.querySelector("tr:not(.running)");
    body.insertBefore(invocationRow(inv), firstFinished);
  }
  while (body.rows.length > KEEP_ROWS) body.lastElementChild.remove();
  document.getElementById("no-invocations").hidden = true;
}

async function showLog(requestId) {
  state.selected = requestId;
  for (const row of document.querySelectorAll("#invocations tbody tr")) {
    row.classList.toggle("selected", row.dataset.requestId === requestId);
  }
  const inv = await getJSON(`${API}/invocations/${encodeURIComponent(requestId)}`);
  document.getElementById("log-panel").hidden = false;
  document.getElementById("log-title").textContent = `${inv.functionName} · ${inv.requestId} · ${inv.logStreamName}`;
  document.getElementById("log-view").textContent = inv.lines.join("\n");
}

// --- invoke form ------------------------------------------------------------------------

function decodeLog(base64) {
  if (!base64) return "";
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function invoke(event) {
  event.preventDefault();
  const name = document.getElementById("invoke-function").value;
  const text = document.getElementById("invoke-event").value || "{}";
  const status = document.getElementById("invoke-status");
  const result = document.getElementById("invoke-result");
  result.hidden = false;
  try {
    JSON.parse(text);
  } catch (error) {
    status.replaceChildren(badge("error", "the event is not JSON"), " ", String(error.message));
    return;
  }
  const button = document.getElementById("invoke-button");
  button.disabled = true;
  status.textContent = `invoking ${name}…`;
  try {
    const response = await fetch(INVOKE(name), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Amz-Log-Type": "Tail" },
      body: text,
    });
    const body = await response.text();
    const functionError = response.headers.get("X-Amz-Function-Error");
    const requestId = response.headers.get("x-amzn-RequestId") || "";
    const kind = !response.ok ? "error" : functionError ? "error" : "ok";
    const label = !response.ok ? `HTTP ${response.status}` : functionError || null;
    status.replaceChildren(badge(kind, label), " ", el("span", { class: "mono" }, `${name} · ${requestId}`));
    document.getElementById("invoke-payload").textContent = pretty(body);
    document.getElementById("invoke-log").textContent = decodeLog(response.headers.get("X-Amz-Log-Result"));
  } catch (error) {
    status.replaceChildren(badge("error", "no answer"), " ", String(error.message));
  } finally {
    button.disabled = false;
    refreshInvocations().catch(() => {});
  }
}

async function loadSample() {
  const source = document.getElementById("invoke-sample").value;
  const target = document.getElementById("invoke-event");
  if (!source) {
    target.value = "{}";
    return;
  }
  const name = document.getElementById("invoke-function").value;
  const sample = await getJSON(`${API}/events/${source}?function=${encodeURIComponent(name)}`);
  target.value = JSON.stringify(sample, null, 2);
}

async function loadSources() {
  const found = await getJSON(`${API}/events`);
  const select = document.getElementById("invoke-sample");
  for (const source of found.sources) select.append(el("option", { value: source }, source));
}

// --- queue and buckets --------------------------------------------------------------------

// The durable queue (when lambdock has it) lists its events at /_lambdock/async-events and its
// schedules at /_lambdock/schedules; otherwise api/queue still says how many events wait.
async function optionalJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function queueTable(events) {
  return el("table", {}, el("thead", {}, el("tr", {},
    el("th", {}, "function"), el("th", {}, "request id"), el("th", {}, "state"), el("th", { class: "num" }, "attempts"))),
  el("tbody", {}, events.map((event) => el("tr", { title: event.lastError || "" },
    el("td", {}, event.functionName), el("td", { class: "mono" }, shortId(event.requestId)),
    el("td", {}, event.state), el("td", { class: "num" }, event.attempts)))));
}

function scheduleList(schedules) {
  return el("ul", {}, schedules.map((rule) => el("li", {},
    el("span", { class: "mono" }, rule.expression), ` → ${rule.functionName}`,
    rule.nextFiring ? el("span", { class: "hint" }, ` next ${rule.nextFiring}`) : null)));
}

async function refreshQueue() {
  const box = document.getElementById("queue");
  const listing = await optionalJSON("async-events?limit=20");
  const parts = [];
  if (listing) {
    const counts = Object.entries(listing.counts).map(([state, count]) => `${count} ${state}`);
    parts.push(el("p", {}, counts.join(" · ") || "no events yet"));
    if (listing.events.length) parts.push(queueTable(listing.events));
  } else {
    const queue = await getJSON(`${API}/queue`);
    parts.push(el("p", {}, el("b", {}, queue.pending === null ? "unknown" : queue.pending), " events waiting"));
  }
  const schedules = await optionalJSON("schedules");
  if (schedules && schedules.schedules.length) parts.push(el("h3", {}, "Schedules"), scheduleList(schedules.schedules));
  box.replaceChildren(...parts);
}

async function refreshBuckets() {
  const found = await getJSON(`${API}/buckets`);
  const box = document.getElementById("buckets");
  if (!found.buckets.length) {
    box.replaceChildren(el("p", { class: "empty" }, "The template has no buckets."));
    return;
  }
  const items = found.buckets.map((b) => el("li", {},
    found.storage ? el("a", { onclick: () => showObjects(b.bucketName, "") }, b.bucketName) : b.bucketName,
    b.logicalId ? el("span", { class: "hint" }, ` (${b.logicalId})`) : null));
  box.replaceChildren(el("ul", {}, items));
  if (!found.storage) box.append(el("p", { class: "empty" }, "S3 is not connected: objects cannot be listed."));
  if (found.error) box.append(el("p", { class: "empty" }, found.error));
}

async function showObjects(bucket, prefix) {
  const response = await fetch(`${API}/buckets/${encodeURIComponent(bucket)}/objects?prefix=${encodeURIComponent(prefix)}`);
  const found = await response.json();
  const panel = document.getElementById("objects");
  panel.hidden = false;
  panel.dataset.bucket = bucket;
  document.getElementById("objects-title").textContent = found.error ? `${bucket}: ${found.error}` : bucket;
  panel.querySelector("tbody").replaceChildren(...(found.objects || []).map((o) => el("tr", {},
    el("td", { class: "mono" }, o.key), el("td", { class: "num" }, o.size), el("td", {}, o.lastModified || ""))));
}

// --- polling ----------------------------------------------------------------------------

async function poll(task, seconds) {
  for (;;) {
    try {
      await task();
      if (state.offline) {
        state.offline = false;
        document.getElementById("offline").hidden = true;
      }
    } catch (error) {
      state.offline = true;
      document.getElementById("offline").hidden = false;
    }
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("invoke-form").addEventListener("submit", invoke);
  document.getElementById("invoke-sample").addEventListener("change", () => loadSample().catch(() => {}));
  document.getElementById("objects-prefix").addEventListener("change", (e) => {
    const bucket = document.getElementById("objects").dataset.bucket;
    if (bucket) showObjects(bucket, e.target.value).catch(() => {});
  });
  loadSources().catch(() => {});
  refreshBuckets().catch(() => {});
  poll(refreshOverview, 1);
  poll(refreshInvocations, 1);
  poll(refreshQueue, 3);
});
