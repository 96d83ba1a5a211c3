// The status page: one self-contained HTML document (inline CSS and script,
// no external assets, works offline) that polls v1/services and v1/events
// every second and draws the services in the manner of Consul's service
// list. The agent and `ecssd reap --every` serve the same page; their
// documents share one shape (status_view.h, reaper/pass_history.h).
#include "agent/status_page.h"

namespace ecssd::agent {
namespace {

constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ecssd status</title>
<style>
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#6b7385;--line:#e3e6ec;--bar:#1b2233;
--ok:#16a34a;--ok-bg:#e7f6ec;--warn:#d97706;--warn-bg:#fdf3e3;--bad:#dc2626;--bad-bg:#fdeaea;
--wait:#2563eb;--wait-bg:#e8effd;--held:#7c3aed;--held-bg:#f1ebfd;--none:#64748b;--none-bg:#eef1f5}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:var(--bar);color:#e8ecf4;padding:0 24px;height:56px;display:flex;align-items:center;gap:18px}
.brand{font-weight:700;font-size:18px;letter-spacing:.3px;display:flex;align-items:center;gap:8px}
.brand i{width:22px;height:22px;border-radius:6px;background:linear-gradient(135deg,#34d399,#3b82f6);display:inline-block}
.where{color:#aab3c5;font-size:13px;display:flex;gap:14px;flex-wrap:wrap}
.where b{color:#e8ecf4;font-weight:600}
.live{margin-left:auto;font-size:13px;color:#aab3c5;display:flex;align-items:center;gap:8px;white-space:nowrap}
.dot{width:9px;height:9px;border-radius:50%;background:var(--ok);box-shadow:0 0 0 3px rgba(22,163,74,.25)}
.live.down .dot{background:var(--bad);box-shadow:0 0 0 3px rgba(220,38,38,.25)}
main{padding:20px 24px;display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:20px;max-width:1600px;margin:0 auto}
@media (max-width:1100px){main{grid-template-columns:1fr}}
.banner{grid-column:1/-1;background:var(--bad-bg);color:var(--bad);border:1px solid #f5c2c2;border-radius:8px;padding:10px 14px;display:none}
.banner.on{display:block}
.tiles{grid-column:1/-1;display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.tile .n{font-size:26px;font-weight:700;line-height:1.1}
.tile .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.6px}
.tile.ok .n{color:var(--ok)}.tile.warn .n{color:var(--warn)}.tile.bad .n{color:var(--bad)}
.tile.wait .n{color:var(--wait)}.tile.held .n{color:var(--held)}
.toolbar{display:flex;gap:10px;align-items:center;margin-bottom:12px;flex-wrap:wrap}
.toolbar input{flex:1;min-width:200px;padding:8px 12px;border:1px solid var(--line);border-radius:8px;font:inherit;background:#fff}
.chips{display:flex;gap:6px}
.chip{border:1px solid var(--line);background:#fff;border-radius:999px;padding:6px 12px;font:inherit;font-size:13px;cursor:pointer;color:var(--ink)}
.chip.on{background:var(--bar);color:#fff;border-color:var(--bar)}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.7px;color:var(--muted);margin:0 0 10px}
.service{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:12px;overflow:hidden}
.service>.head{display:flex;align-items:center;gap:12px;padding:12px 16px;cursor:pointer;user-select:none}
.service>.head:hover{background:#fafbfc}
.icon{width:22px;height:22px;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;color:#fff;font-size:13px;font-weight:700;flex:none}
.icon.passing{background:var(--ok)}.icon.warning{background:var(--warn)}.icon.critical{background:var(--bad)}
.name{font-weight:650;font-size:15px}
.sub{color:var(--muted);font-size:13px}
.head .counts{margin-left:auto;display:flex;gap:6px;align-items:center}
.badge{font-size:12px;border-radius:999px;padding:2px 9px;background:var(--none-bg);color:var(--none);white-space:nowrap}
.caret{color:var(--muted);transition:transform .15s}
.service.closed .caret{transform:rotate(-90deg)}
.service.closed table{display:none}
table{width:100%;border-collapse:collapse;border-top:1px solid var(--line);table-layout:fixed}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted);font-weight:600;padding:7px 12px;background:#fafbfc;white-space:nowrap}
td{padding:8px 12px;border-top:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th:nth-child(1){width:150px}th:nth-child(2){width:15%}th:nth-child(4){width:18%}
th:nth-child(5){width:64px}th:nth-child(6){width:24%}
td .sub{display:block}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.pill{display:inline-flex;align-items:center;gap:6px;border-radius:999px;padding:2px 10px;font-size:12.5px;font-weight:600;white-space:nowrap}
.pill:before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.passing .pill,.pill.passing{color:var(--ok);background:var(--ok-bg)}
.pill.unchecked{color:var(--none);background:var(--none-bg)}
.pill.waiting{color:var(--wait);background:var(--wait-bg)}
.pill.failing{color:var(--bad);background:var(--bad-bg)}
.pill.held{color:var(--held);background:var(--held-bg)}
.pill.warning{color:var(--warn);background:var(--warn-bg)}
.pill.critical{color:var(--bad);background:var(--bad-bg)}
.yes{color:var(--ok);font-weight:600}.no{color:var(--bad);font-weight:600}
.res.ok{color:var(--ok)}.res.bad{color:var(--bad)}
aside .card{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
.ev{display:grid;grid-template-columns:64px 10px 1fr;gap:8px;padding:9px 14px;border-top:1px solid var(--line)}
.ev:first-child{border-top:0}
.ev time{color:var(--muted);font:12px ui-monospace,Menlo,Consolas,monospace;padding-top:2px}
.ev .d{width:8px;height:8px;border-radius:50%;margin-top:6px;background:var(--ok)}
.ev.warn .d{background:var(--warn)}.ev.error .d{background:var(--bad)}
.ev .k{font-weight:600}.ev .t{color:var(--muted);font-size:13px;word-break:break-word}
.ev.new{animation:flash 1.5s ease-out}
@keyframes flash{from{background:#fff7d6}to{background:transparent}}
.empty{padding:28px;text-align:center;color:var(--muted)}
footer{grid-column:1/-1;color:var(--muted);font-size:12px;text-align:center;padding:4px 0 16px}
</style>
</head>
<body>
<header>
  <div class="brand"><i></i>ecssd</div>
  <div class="where" id="where">connecting…</div>
  <div class="live" id="live"><span class="dot"></span><span id="updated">waiting for data</span></div>
</header>
<main>
  <div class="banner" id="banner"></div>
  <div class="tiles" id="tiles"></div>
  <section>
    <div class="toolbar">
      <input id="q" type="search" placeholder="Filter by service, container or target" autocomplete="off">
      <div class="chips" id="chips">
        <button class="chip on" data-f="all">All</button><button class="chip" data-f="passing">Passing</button><button class="chip" data-f="warning">Warning</button><button class="chip" data-f="critical">Critical</button>
      </div>
    </div>
    <h2 id="svc-title">Services</h2>
    <div id="services"><div class="empty">Loading…</div></div>
  </section>
  <aside>
    <h2>Recent changes</h2>
    <div class="card" id="events"><div class="empty">No changes yet</div></div>
  </aside>
  <footer id="foot">Updates every second from <code>/v1/services</code> and <code>/v1/events</code>.</footer>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const WORDS = {passing:"Passing", unchecked:"No check", waiting:"Waiting", failing:"Failing",
               held:"Held: flapping", warning:"Unsettled"};
const SERVICE_WORDS = {passing:"Passing", warning:"Warning", critical:"Critical"};
const ICON = {passing:"\u2713", warning:"!", critical:"\u2715"};
let filter = "all", closed = {}, offset = 0, lastSeq = 0, last = null, lastOk = 0;

function ago(ms) {
  if (!ms) return "";
  let s = Math.max(0, Math.round((Date.now() + offset - ms) / 1000));
  if (s < 60) return s + "s";
  let m = Math.floor(s / 60); s %= 60;
  if (m < 60) return m + "m " + s + "s";
  let h = Math.floor(m / 60); m %= 60;
  if (h < 48) return h + "h " + m + "m";
  return Math.floor(h / 24) + "d " + (h % 24) + "h";
}
function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}
function summaryLine(s) {
  if (s.instances_total === 0) return "no instances";
  if (s.health === "passing") return "All " + s.instances_total + " passing";
  const parts = [];
  if (s.failing - (s.held || 0) > 0) parts.push((s.failing - (s.held || 0)) + " failing");
  if (s.held) parts.push(s.held + " held for flapping");
  if (s.waiting) parts.push(s.waiting + " waiting");
  if (s.passing) parts.push(s.passing + " passing");
  return parts.join(", ");
}
function matches(s, q) {
  if (filter !== "all" && s.health !== filter) return false;
  if (!q) return true;
  if (s.name.toLowerCase().includes(q)) return true;
  return s.instances.some((i) => [i.container, i.container_id, i.target, i.sub].join(" ").toLowerCase().includes(q));
}
function instanceRow(i) {
  const res = i.last_result ? '<span class="res ' + (i.last_ok ? "ok" : "bad") + '">' + esc(i.last_result) + "</span>" +
      '<span class="sub">' + (i.last_checked_ms ? ago(i.last_checked_ms) + " ago" : "") +
      (i.last_ms ? " · " + i.last_ms.toFixed(1) + " ms" : "") + "</span>" : '<span class="sub">—</span>';
  const rec = (r) => r.split(" ").slice(0, 2).join(" ");  // "name TYPE": the value is on hover
  const pub = i.published ? '<span class="yes">\u2713 yes</span>' + (i.records && i.records.length ?
      '<span class="sub" title="' + esc(i.records.join("\n")) + '"><code>' + esc(rec(i.records[0])) + "</code>" +
      (i.records.length > 1 ? " +" + (i.records.length - 1) : "") + "</span>" : "")
      : '<span class="no">\u2715 no</span><span class="sub">' + esc(i.why_not) + "</span>";
  return '<tr class="instance" data-container="' + esc(i.container) + '" data-health="' + esc(i.health) +
      '" data-published="' + (i.published ? "true" : "false") + '">' +
      '<td><span class="pill ' + esc(i.health) + '">' + esc(WORDS[i.health] || i.health) + "</span>" +
      (i.agent ? '<span class="sub">agent: ' + esc(i.agent) + "</span>" : "") + "</td>" +
      "<td><b>" + esc(i.container) + '</b><span class="sub">' + esc(i.sub || (i.container_id + " · " + i.port)) + "</span></td>" +
      "<td><code>" + esc(i.target || "—") + '</code><span class="sub">' + esc(i.check) +
      (i.fall ? " · rise " + i.rise + " · fall " + i.fall : "") + "</span></td>" +
      "<td>" + res + "</td>" +
      '<td title="' + (i.since_ms ? "since " + clock(i.since_ms) : "") + '">' + esc(ago(i.since_ms)) + "</td>" +
      "<td>" + pub + "</td></tr>";
}
function renderServices(doc) {
  const q = $("q").value.trim().toLowerCase();
  const rank = {critical: 0, warning: 1, passing: 2};
  const list = doc.services.filter((s) => matches(s, q))
      .sort((a, b) => (rank[a.health] - rank[b.health]) || a.name.localeCompare(b.name));
  $("svc-title").textContent = (doc.kind === "reaper" ? "Services in the zone" : "Services") + " (" + list.length + ")";
  if (!list.length) {
    $("services").innerHTML = '<div class="empty">' + (doc.services.length ? "Nothing matches the filter" :
        "No services yet: start a container with SERVICE_&lt;port&gt;_NAME") + "</div>";
    return;
  }
  $("services").innerHTML = list.map((s) => {
    const isClosed = closed[s.name] !== undefined ? closed[s.name] : false;
    return '<section class="service' + (isClosed ? " closed" : "") + '" data-service="' + esc(s.name) + '" data-health="' + esc(s.health) + '">' +
      '<div class="head" data-name="' + esc(s.name) + '"><span class="icon ' + esc(s.health) + '">' + (ICON[s.health] || "?") + "</span>" +
      '<div><div class="name">' + esc(s.name) + '</div><div class="sub">' + esc(summaryLine(s)) + "</div></div>" +
      '<div class="counts"><span class="badge">' + s.instances_total + " instance" + (s.instances_total === 1 ? "" : "s") + "</span>" +
      '<span class="badge">' + s.published + " published</span>" +
      '<span class="pill ' + esc(s.health) + '">' + esc(SERVICE_WORDS[s.health] || s.health) + '</span><span class="caret">\u25be</span></div></div>' +
      "<table><thead><tr><th>Health</th><th>Instance</th><th>Target and check</th><th>Last result</th><th>For</th><th>Published</th></tr></thead><tbody>" +
      s.instances.map(instanceRow).join("") + "</tbody></table></section>";
  }).join("");
}
function renderHeader(doc) {
  const bits = [["", doc.title]];
  if (doc.zone) bits.push(["zone", doc.zone]);
  if (doc.provider) bits.push(["provider", doc.provider]);
  if (doc.version) bits.push(["version", doc.version]);
  $("where").innerHTML = bits.map(([k, v]) => (k ? k + " " : "") + "<b>" + esc(v) + "</b>").join("");
  document.title = (doc.summary && doc.summary.failing ? "(" + doc.summary.failing + " failing) " : "") + doc.title;
  $("tiles").innerHTML = (doc.tiles || []).map((t) => '<div class="tile ' + esc(t.tone || "") + '"><div class="n">' +
      esc(t.value) + '</div><div class="l">' + esc(t.label) + "</div></div>").join("");
}
function renderEvents(doc) {
  const evs = doc.events || [];
  if (!evs.length) { $("events").innerHTML = '<div class="empty">No changes yet</div>'; return; }
  $("events").innerHTML = evs.slice(0, 60).map((e) => '<div class="ev ' + esc(e.level) + (lastSeq && e.seq > lastSeq ? " new" : "") +
      '" data-kind="' + esc(e.kind) + '"><time title="' + esc(e.at) + '">' + clock(e.at_ms) + '</time><span class="d"></span><div><span class="k">' +
      esc(e.service || "") + "</span> " + esc(e.kind) + (e.container ? ' <span class="t">' + esc(e.container) + "</span>" : "") +
      '<div class="t">' + esc(e.detail) + "</div></div></div>").join("");
  lastSeq = doc.last_seq || lastSeq;
}
function tick() {
  const live = $("live");
  if (lastOk) $("updated").textContent = "updated " + ago(lastOk + offset) + " ago";
  live.classList.toggle("down", !lastOk || Date.now() - lastOk > 5000);
}
async function getJson(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
async function poll() {
  try {
    const [svc, ev] = await Promise.all([getJson("v1/services"), getJson("v1/events?limit=60")]);
    offset = svc.now_ms - Date.now();
    last = svc;
    lastOk = Date.now();
    renderHeader(svc); renderServices(svc); renderEvents(ev);
    $("banner").classList.remove("on");
  } catch (e) {
    $("banner").textContent = "Cannot reach the status server (" + e.message + "): retrying every second.";
    $("banner").classList.add("on");
  }
  tick();
  setTimeout(poll, 1000);
}
$("q").addEventListener("input", () => last && renderServices(last));
$("chips").addEventListener("click", (ev) => {
  const b = ev.target.closest(".chip"); if (!b) return;
  filter = b.dataset.f;
  document.querySelectorAll(".chip").forEach((c) => c.classList.toggle("on", c === b));
  if (last) renderServices(last);
});
$("services").addEventListener("click", (ev) => {
  const h = ev.target.closest(".head"); if (!h) return;
  const name = h.dataset.name;
  closed[name] = !h.parentElement.classList.contains("closed");
  h.parentElement.classList.toggle("closed", closed[name]);
});
setInterval(tick, 1000);
poll();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html() { return kPage; }

}  // namespace ecssd::agent
