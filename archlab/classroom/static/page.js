// The classroom page: one Server-Sent Events stream; each message is the whole snapshot the server
// computed once for every viewer. Sections are re-rendered only when their HTML changes, so a
// button is not replaced under the mouse. No library, no network beyond this server.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const PALETTE = ["#4e79a7", "#59a14f", "#e15759", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948"];
const MARKED = {update: "U", fault: "F", observed: "•", scale: "S", error: "!", control: "▾"};
let snapshot = null;

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
function setHTML(el, html) { if (el._html !== html) { el.innerHTML = html; el._html = html; } }
function versionColour(version) {
  const known = (snapshot && snapshot.meta.versions) || [];
  const i = known.indexOf(version);
  return i < 0 ? "#9aa3b2" : PALETTE[i % PALETTE.length];
}
function canControl() {
  return snapshot && (snapshot.meta.controls === "open" || (snapshot.meta.controls === "token" && token));
}
function clock(t) { return new Date(t * 1000).toTimeString().slice(0, 8); }

async function control(body) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const notice = document.getElementById("notice");
  try {
    const answer = await fetch("/api/control", {method: "POST", headers, body: JSON.stringify(body)});
    const data = await answer.json();
    notice.textContent = answer.ok ? "" : `${answer.status}: ${data.error} ${Object.values(data.fields || {}).join("; ")}`;
  } catch (error) {
    notice.textContent = "the classroom did not answer: " + error;
  }
}

document.addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const body = {action: button.dataset.action};
  for (const key of ["panel", "component", "version", "direction"]) if (button.dataset[key]) body[key] = button.dataset[key];
  control(body);
});

function renderHeader() {
  const meta = snapshot.meta;
  const mode = document.getElementById("mode");
  mode.textContent = meta.mode === "replay" ? `replay of ${meta.source}` : "live";
  mode.className = "badge " + meta.mode;
  const traffic = document.getElementById("traffic");
  traffic.textContent = meta.traffic ? `traffic on: ${meta.rate} req/s each` : "traffic paused";
  traffic.className = "badge" + (meta.traffic ? "" : " paused");
  document.getElementById("viewers").textContent = meta.mode === "live" ? `${meta.viewers} viewer(s)` +
    (canControl() ? "" : " · read-only") : "";
  const nav = document.getElementById("controls");
  nav.hidden = !canControl();
  if (canControl()) {
    setHTML(nav, (meta.versions || []).map(v => `<button data-action="release" data-version="${esc(v)}">release ${esc(v)}</button>`).join("") +
      `<button data-action="rollback">roll back</button><button data-action="reset">reset to v1</button>` +
      (meta.traffic ? `<button data-action="pause">pause traffic</button>` : `<button data-action="resume">resume traffic</button>`));
  }
}

function panelElement(name) {
  let el = document.getElementById("panel-" + name);
  if (!el) {
    el = document.createElement("article");
    el.id = "panel-" + name;
    el.className = "panel";
    el.innerHTML = `<h3></h3><div class="instances"></div><div class="review"></div><ul class="components"></ul>
      <div class="totals"></div><div class="chart-holder"></div><div class="scale"></div>`;
    document.getElementById("panels").appendChild(el);
  }
  return el;
}

function renderPanel(panel) {
  const el = panelElement(panel.name);
  const part = selector => el.querySelector(selector);
  el.classList.toggle("unavailable", !panel.available);
  el.dataset.available = panel.available;
  setHTML(part("h3"), esc(panel.name) + (panel.busy ? ` <span class="busy">${esc(panel.busy)}…</span>` : ""));
  if (!panel.available) {
    setHTML(part(".instances"), "<b>not available</b>");
    setHTML(part(".review"), `<div class="reason">${esc(panel.reason)}\n\nHow to get it: ${esc(panel.how)}</div>`);
    for (const s of [".components", ".totals", ".chart-holder", ".scale"]) setHTML(part(s), "");
    return;
  }
  el.style.borderTopColor = versionColour(panel.version);
  setHTML(part(".instances"), panel.instances.map(i =>
    `<span class="instance" title="${esc(i.label)}"><span class="version" style="background:${versionColour(i.version)}">${esc(i.version || "—")}</span>` +
    `${panel.instances.length > 1 ? esc(i.label.split(":").pop()) : ""}</span>`).join("") +
    `<span class="instance">${panel.capabilities.answers_later ? "answers users read" : "served to users"}</span>`);
  setHTML(part(".review"), panel.review ? `<b>${panel.review.awaiting_review}</b> await review · <b>${panel.review.waiting_to_be_scored}</b> wait to be scored` : "");
  const controls = canControl();
  setHTML(part(".components"), panel.components.map(c => `<li class="state-${c.state}" data-component="${esc(c.name)}" data-state="${c.state}">` +
    `<div class="row"><span class="dot"></span><b>${esc(c.name)}</b><span class="state-word">${c.state}</span>` +
    (controls && c.breakable ? ["stop", "start", "kill"].map(a =>
      `<button data-action="${a}" data-panel="${esc(panel.name)}" data-component="${esc(c.name)}">${a === "kill" ? "kill -9" : a}</button>`).join("") : "") +
    `</div><div class="what" title="${esc(c.runs)}">${c.pid ? "pid " + c.pid + " · " : ""}${esc(c.runs)}</div></li>`).join(""));
  const t = panel.totals;
  setHTML(part(".totals"), `<span><b>${t.requests}</b> requests</span><span class="${t.failed ? "bad" : ""}"><b class="failed">${t.failed}</b> failed</span>` +
    `<span class="${t.faulty ? "bad" : ""}" title="${esc(panel.last_faulty || "")}"><b class="faulty">${t.faulty}</b> answers from a faulty model</span>`);
  setHTML(part(".chart-holder"), chart(panel));
  const scale = panel.scale;
  setHTML(part(".scale"), `${esc(scale.part)} ×${scale.count}` + (controls ?
    (scale.down ? ` <button data-action="scale" data-panel="${esc(panel.name)}" data-direction="down">−</button>` : "") +
    (scale.up ? ` <button data-action="scale" data-panel="${esc(panel.name)}" data-direction="up">+</button>` : "") : ""));
}

// Two strips on one clock: latency (p50, p99, log scale, 1 ms to 10 s) over requests per second
// (failed in red, answers from a faulty model in purple); events as vertical markers.
function chart(panel) {
  const W = 300, H = 226, left = 30, right = 4, top = 4, mid = 132, bottom = 200, span = 120;
  const now = snapshot.t, from = now - span;
  const x = t => left + (t - from) / span * (W - left - right);
  const ly = ms => { const v = Math.log10(Math.min(Math.max(ms, 1), 10000)); return mid - 4 - v / 4 * (mid - 4 - top); };
  const points = panel.points.filter(p => p.t >= from);
  const rmax = Math.max(4, snapshot.meta.rate * 1.5, ...points.map(p => p.rps));
  const ry = n => bottom - n / rmax * (bottom - mid - 4);
  let svg = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(panel.name)} chart">`;
  for (const ms of [1, 10, 100, 1000, 10000]) {
    svg += `<line x1="${left}" x2="${W - right}" y1="${ly(ms)}" y2="${ly(ms)}" stroke="#e3e8f0"/>` +
      `<text x="${left - 3}" y="${ly(ms) + 3}" font-size="8" text-anchor="end" fill="#7a8394">${ms >= 1000 ? ms / 1000 + "s" : ms + "ms"}</text>`;
  }
  svg += `<text x="${left - 3}" y="${bottom}" font-size="8" text-anchor="end" fill="#7a8394">0</text>` +
    `<text x="${left - 3}" y="${ry(rmax) + 6}" font-size="8" text-anchor="end" fill="#7a8394">${Math.round(rmax)}/s</text>`;
  const barW = Math.max(1, (W - left - right) / span - 0.4);
  for (const p of points) {
    const ok = p.rps - p.failed - p.faulty;
    svg += `<rect x="${x(p.t)}" y="${ry(ok)}" width="${barW}" height="${bottom - ry(ok)}" fill="#9fb7d4"/>`;
    if (p.faulty) svg += `<rect x="${x(p.t)}" y="${ry(ok + p.faulty)}" width="${barW}" height="${bottom - ry(p.faulty)}" fill="#8e24aa"/>`;
    if (p.failed) svg += `<rect x="${x(p.t)}" y="${ry(p.rps)}" width="${barW}" height="${bottom - ry(p.failed)}" fill="#d32f2f"/>`;
  }
  for (const [key, colour] of [["p50", "#1565c0"], ["p99", "#ef6c00"]]) {
    const line = points.filter(p => p[key] != null).map(p => `${x(p.t + 0.5).toFixed(1)},${ly(p[key]).toFixed(1)}`).join(" ");
    if (line) svg += `<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="1.4"/>`;
  }
  for (const e of snapshot.events) {
    if ((e.panel && e.panel !== panel.name) || e.t < from || !(e.kind in MARKED)) continue;
    const ex = x(e.t).toFixed(1);
    svg += `<g><title>${esc(clock(e.t) + " " + e.text)}</title><line x1="${ex}" x2="${ex}" y1="${top}" y2="${bottom}" stroke="#555" stroke-dasharray="2,2" stroke-width="0.7"/>` +
      `<text x="${ex}" y="${top + 7}" font-size="8" text-anchor="middle" fill="#333">${MARKED[e.kind]}</text></g>`;
  }
  const last = points[points.length - 1];
  svg += `<text x="${left + 2}" y="${H - 3}" font-size="8.5" fill="#1565c0">p50 ${last && last.p50 != null ? last.p50 + " ms" : "—"}</text>` +
    `<text x="${left + 72}" y="${H - 3}" font-size="8.5" fill="#ef6c00">p99 ${last && last.p99 != null ? last.p99 + " ms" : "—"}</text>` +
    `<text x="${left + 146}" y="${H - 3}" font-size="8.5" fill="#5a6475">${last ? last.rps : 0} req/s · last ${span} s</text>` +
    `<text x="${left + 2}" y="${H - 14}" font-size="8.5"><tspan fill="#7f9cc0">■ answered</tspan>` +
    `<tspan fill="#d32f2f" dx="6">■ failed</tspan><tspan fill="#8e24aa" dx="6">■ from a faulty model</tspan>` +
    `<tspan fill="#555" dx="6">┆ event</tspan></text></svg>`;
  return svg;
}

function renderEvents() {
  setHTML(document.getElementById("events"), snapshot.events.slice().reverse().map(e =>
    `<li class="${esc(e.kind)}"><time>${clock(e.t)}</time>${e.panel ? `<span class="where">${esc(e.panel)}</span>` : ""}${esc(e.text)}</li>`).join(""));
}

function render() {
  renderHeader();
  for (const panel of snapshot.panels) renderPanel(panel);
  renderEvents();
  document.body.dataset.t = snapshot.t;
}

const stream = new EventSource("/events");
stream.onmessage = message => {
  const data = JSON.parse(message.data);
  if (!data.meta) return;  // nothing published yet
  snapshot = data;
  render();
};
stream.onerror = () => { document.getElementById("mode").textContent = "reconnecting…"; };
