// tradetrace dashboard: plain JavaScript over the read-only API, no external scripts.
// Every value from the API reaches the page through textContent or SVG attributes,
// never as HTML, so names from customs files cannot inject markup.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
const state = { target: null, exposure: null, flows: 0 };  // flows: trade_flows rows loaded
// No reds: red means "on a sanctions list" everywhere on the page.
const PALETTE = ["#1f5fa8", "#e07b24", "#2e9d5b", "#8e44ad", "#16a2b8", "#7f8c8d",
  "#b8860b", "#5b7fbd", "#6d4c41", "#2c3e50"];
const colourOf = {};

function colour(key) {
  if (!(key in colourOf)) colourOf[key] = PALETTE[Object.keys(colourOf).length % PALETTE.length];
  return colourOf[key];
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

// -- figures --------------------------------------------------------------------------------
// The rounding policy of tradetrace/formatting.py, which the CLI and the report use. Customs
// sums are lower bounds, so money is rounded DOWN (from whole cents, the precision stored);
// shares are not sums, so they are rounded to nearest, half to even as Python does.
const DASH = "–";
const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, roundingMode: "halfEven" });
const TENTHS = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1, roundingMode: "halfEven" });
const cents = (v) => Math.round(v * 100);
const count = (n) => WHOLE.format(n);
const hhi = (v) => v == null ? DASH : WHOLE.format(v);
// $34,049,999 for 34,049,999.60
const money = (v) => v == null ? DASH : "$" + count(Math.floor(cents(v) / 100));
// $1.2B from a billion, $34.0M from a million, $573,000 from a thousand, $950 below
function moneyCompact(v) {
  const c = cents(v);
  if (c >= 1e11) return "$" + (Math.floor(c / 1e10) / 10).toFixed(1) + "B";
  if (c >= 1e8) return "$" + (Math.floor(c / 1e7) / 10).toFixed(1) + "M";
  if (c >= 1e5) return "$" + count(Math.floor(c / 1e5) * 1000);
  return "$" + Math.floor(c / 100);
}
// 45.6% from 0.4563
const share = (s) => TENTHS.format(s * 100) + "%";

function message(text, error = false) {
  $("message").textContent = text || "";
  $("message").className = "message" + (error ? " error" : "");
}

// -- API ------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const key = sessionStorage.getItem("tradetrace-key");
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $("keybox").hidden = false;
    throw new Error("This server needs an API key.");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return response;
}

const getJSON = async (path) => (await api(path)).json();

// -- search ---------------------------------------------------------------------------------

async function search(text) {
  $("results").hidden = true;
  message("Searching…");
  try {
    const found = await getJSON("/entities?q=" + encodeURIComponent(text) + "&limit=10");
    const list = $("result-list");
    list.replaceChildren();
    for (const e of found) {
      list.append(el("li", { onclick: () => openEntity(e.entity_id), "data-entity": e.entity_id },
        el("b", { text: e.name }),
        el("span", { class: "meta", text: [e.country, e.entity_id, e.lines + " lines"].filter(Boolean).join(" · ") }),
        el("span", { class: "meta", text: "matched «" + e.matched + "»" }),
        el("span", { class: "score", text: "score " + e.score })));
    }
    $("results").hidden = found.length === 0;
    message(found.length ? "" : "No entity matches «" + text + "».");
    if (found.length === 1 || (found.length > 1 && found[0].score === 1 && found[1].score < 1)) {
      openEntity(found[0].entity_id);
    }
  } catch (err) { message(err.message, true); }
}

// -- entity page ----------------------------------------------------------------------------

function exposureQuery() {
  const params = new URLSearchParams({ role: $("role").value });
  if ($("from").value) params.set("from", $("from").value);
  if ($("to").value) params.set("to", $("to").value);
  return params.toString();
}

async function openEntity(entityId) {
  state.target = entityId;
  history.replaceState(null, "", "#" + encodeURIComponent(entityId));
  message("Loading exposure…");
  try {
    const [entity, exposure] = await Promise.all([
      getJSON("/entities/" + encodeURIComponent(entityId)),
      getJSON("/exposure/" + encodeURIComponent(entityId) + "?" + exposureQuery()),
    ]);
    state.exposure = exposure;
    renderEntity(entity, exposure);
    $("entity").hidden = false;
    $("results").hidden = true;
    message("");
    if (entity.redirected_from) {
      // A saved link to a retired id (merged, split or renamed): show and keep the new one.
      state.target = entity.entity_id;
      history.replaceState(null, "", "#" + encodeURIComponent(entity.entity_id));
      message(entity.redirected_from + " was " + ({ merged: "merged into ", split: "split; most of it is now " }[entity.redirect_reason] || "renamed ") + entity.entity_id + ".");
    }
    loadGraph();
  } catch (err) { message(err.message, true); }
}

function renderEntity(entity, x) {
  $("entity-name").textContent = entity.name;
  $("entity-meta").textContent = [entity.entity_id, entity.country, (entity.identifiers || []).join(", "),
    "as " + x.role, x.period.from ? "period " + x.period.from + " – " + x.period.to : "no trade in this role"].filter(Boolean).join(" · ");
  const aliases = $("entity-aliases");
  aliases.replaceChildren(...(entity.aliases || []).map(a => el("span", { class: "chip", text: a.name + " (" + a.script + ")" })));
  for (const m of entity.matches || []) {
    aliases.append(el("span", { class: "chip listed", text: m.list + " " + m.list_entity_id + " since " + (m.listing_date || "date unknown") }));
  }
  const suppliers = x.by_supplier.filter(s => s.value_usd > 0);
  $("kpis").replaceChildren(
    kpi(money(x.total_usd), "value in the period"),
    kpi(count(x.declarations), "declarations (" + count(x.lines) + " lines)"
      + (x.aggregate_rows ? ", " + count(x.aggregate_rows) + " monthly aggregate rows" : "")),
    kpi(String(suppliers.length), x.role === "importer" ? "suppliers" : "buyers"),
    kpi(String(x.by_origin_country.filter(r => r.country).length), "countries of origin"),
    kpi(hhi(x.concentration.hhi_supplier), "supplier HHI (0–10,000)"));
  renderFindings(x);
  $("chart-year").replaceChildren(yearChart(x));
  $("chart-origin").replaceChildren(barChart(x.by_origin_country.map(r => ({ label: r.country || "?", value: r.value_usd, share: r.share, key: r.country }))));
  $("suppliers-title").textContent = x.role === "importer" ? "Suppliers" : "Buyers";
  $("chart-suppliers").replaceChildren(barChart(suppliers.slice(0, 12).map(r => ({ label: r.name, value: r.value_usd, share: r.share, key: r.country, alarm: r.listings.length > 0 }))));
  $("chart-categories").replaceChildren(barChart(x.by_category.slice(0, 12).map(r => ({ label: r.category, value: r.value_usd, share: r.share }))));
  renderEvents(x);
  renderTransshipment(x);
  renderContext(x);
  renderMatches(entity, x);
  $("evidence").replaceChildren(el("p", { class: "meta", text: "Click “evidence” next to a finding to list its declarations." }));
  $("evidence-title").textContent = "";
}

function kpi(value, label) {
  return el("div", { class: "kpi" }, el("b", { text: value }), el("span", { text: label }));
}

function renderFindings(x) {
  const list = $("findings");
  list.replaceChildren();
  for (const f of x.findings) {
    const item = el("li", { "data-finding": f.id }, document.createTextNode(f.text));
    if (f.evidence.length) {
      item.append(el("a", { onclick: () => showEvidence(f), text: "evidence (" + f.evidence.length + " declarations)" }));
    }
    list.append(item);
  }
}

async function showEvidence(finding) {
  $("evidence-title").textContent = finding.id + " · " + finding.evidence.length + " declarations";
  const ids = finding.evidence.slice(0, 500);
  const params = new URLSearchParams({ page_size: "500" });
  ids.forEach(id => params.append("declaration_id", id));
  const own = state.exposure.role === "importer" ? "importer" : "exporter";
  params.set(own, state.target);
  try {
    const page = await getJSON("/declarations?" + params.toString());
    const rows = page.rows.map(r => [r.declaration_id, r.line_no, r.date, r.exporter_name, r.importer_name,
      r.origin_country, r.dispatch_country, r.hs_code, r.description, money(r.value_usd)]);
    $("evidence").replaceChildren(table(["declaration", "line", "date", "exporter", "importer", "origin", "dispatch", "HS", "goods", "USD"], rows, { num: [9], day: [2] }),
      el("p", { class: "meta", text: page.total + " lines in these declarations" + (finding.evidence.length > 500 ? " (first 500 declarations shown)" : "") }));
    $("evidence-card").scrollIntoView({ behavior: "smooth" });
  } catch (err) { message(err.message, true); }
}

// columns: { num: [indexes of figures, right-aligned], day: [indexes of dates, kept on one line] }
// A cell is a value, written as text, or a node (a button) put in as it is.
function table(head, rows, columns = {}) {
  const kind = (i) => Object.keys(columns).find(k => columns[k].includes(i)) || "";
  const cell = (c, i) => c instanceof Node ? el("td", { class: kind(i) }, c) : el("td", { class: kind(i), text: c == null ? "" : String(c) });
  const thead = el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { class: kind(i), scope: "col", text: h }))));
  const tbody = el("tbody", {}, ...rows.map(r => el("tr", {}, ...r.map(cell))));
  return el("div", { class: "table-wrap" }, el("table", {}, thead, tbody));
}

// "designation:ofac_sdn" is the API's key for the event; a reader sees "designated, ofac_sdn".
const eventName = (e) => e.name.replace("designation:", "designated, ");

function renderEvents(x) {
  const rows = x.events.map(e => [eventName(e), e.date, money(e.before_usd), money(e.after_usd),
    e.suppliers_after.length, e.new_suppliers_after.map(s => s.name).join(", ") || "—"]);
  $("events").replaceChildren(table(["event", "date", "before", "after", "suppliers after", "new after"], rows, { num: [2, 3, 4], day: [1] }));
}

function renderTransshipment(x) {
  if (!x.transshipment.length) { $("transshipment").replaceChildren(el("p", { class: "meta", text: "Every line was dispatched from its country of origin." })); return; }
  const rows = x.transshipment.map(r => [r.origin, r.dispatch, r.hub ? "hub" : "", money(r.value_usd), r.declarations]);
  $("transshipment").replaceChildren(table(["origin", "dispatch", "watch list", "USD", "declarations"], rows, { num: [3, 4] }));
}

// -- official statistics ----------------------------------------------------------------------
// The exposure's dispatch countries in the official statistics (x.official_statistics), and
// the store's diversion table (GET /flows/diversion); a row's button draws its monthly series
// (GET /flows/series) with the invasion line.

const ratio = (r) => r == null ? DASH : r.toFixed(2) + "×";
function seriesButton(reporter, partner, target, words) {
  return el("button", { type: "button", class: "link", "data-series": reporter + ":" + partner,
    text: "chart", "aria-label": "Monthly exports, " + words, onclick: () => showSeries(reporter, partner, target) });
}

function renderContext(x) {
  $("context-chart").replaceChildren();
  if (!state.flows) {
    $("context").replaceChildren(el("p", { class: "meta", text: "No official statistics are loaded (tradetrace stats load)." }));
    return;
  }
  if (!x.official_statistics.length) {
    $("context").replaceChildren(el("p", { class: "meta", text: "No goods were dispatched from a watch-list hub, nor from a country other than their declared origin." }));
    return;
  }
  const rows = [];
  for (const h of x.official_statistics) {
    if (!h.ratios.length) rows.push([h.hub, h.watch_list ? "hub" : "", money(h.value_usd), "not covered", "", "", "", "", ""]);
    for (const r of h.ratios) {
      rows.push([h.hub, h.watch_list ? "hub" : "", money(h.value_usd), r.reporter_name + (r.basis === "origin" ? " (origin)" : ""),
        money(r.baseline_usd_per_month), money(r.after_usd_per_month), ratio(r.ratio),
        moneyCompact(r.excess_usd) + " (" + moneyCompact(r.excess_low_usd) + " to " + moneyCompact(r.excess_high_usd) + ")",
        seriesButton(r.reporter, h.hub, "context-chart", r.reporter_name + " to " + h.hub)]);
    }
  }
  $("context").replaceChildren(table(["dispatch", "watch list", "target's value from it", "reporter", "trend / month",
    "actual / month", "ratio", "excess (90% band)", ""], rows, { num: [2, 4, 5, 6, 7] }));
}

async function loadFlows() {
  try {
    const d = await getJSON("/flows/diversion");
    $("flows-findings").replaceChildren(...d.findings.slice(0, 8).map(f =>
      el("li", { "data-finding": f.id }, document.createTextNode(f.text + " "), seriesButton(f.reporter, f.partner, "flows-chart", f.reporter + " to " + f.partner))));
    // the member states and the EU-27: the other groups (EU, EA20 …) overlap them
    const shown = d.rows.filter(r => !r.aggregate || r.reporter === "EU27_2020");
    const rows = shown.slice(0, 20).map(r => [r.reporter_name, r.partner_name, money(r.baseline_usd_per_month),
      money(r.after_usd_per_month), ratio(r.ratio), moneyCompact(r.excess_usd),
      moneyCompact(r.excess_low_usd) + " to " + moneyCompact(r.excess_high_usd),
      seriesButton(r.reporter, r.partner, "flows-chart", r.reporter_name + " to " + r.partner_name)]);
    $("flows").replaceChildren(table(["reporter", "partner", "trend / month", "actual / month", "ratio", "excess",
      "90% band", ""], rows, { num: [2, 3, 4, 5, 6] }),
      el("p", { class: "meta", text: shown.length + " pairs of a member state or the EU-27, largest excess first (top 20 shown; every pair: tradetrace flows diversion); months " + d.after.from.slice(0, 7) + " to " + (d.after.to || "").slice(0, 7) + "." }));
  } catch (err) {
    $("flows").replaceChildren(el("p", { class: "meta", text: err.message }));
  }
}

async function showSeries(reporter, partner, target) {
  try {
    const s = await getJSON("/flows/series?reporter=" + encodeURIComponent(reporter) + "&partner=" + encodeURIComponent(partner));
    const title = s.row ? s.row.reporter_name + " → " + s.row.partner_name : reporter + " → " + partner;
    $(target).replaceChildren(el("h3", { text: title + ", monthly exports" }), flowChart(s),
      el("p", { class: "meta", text: "Solid: exports. Dashed: the pre-war trend and season, projected with its 90% band (shaded). Red line: the invasion, " + s.invasion + "." }));
  } catch (err) { $(target).replaceChildren(el("p", { class: "meta", text: err.message })); }
}

function flowChart(s) {
  const width = 1000, height = 260, left = 60, right = 10, top = 18, bottom = 24;
  const months = s.months, root = chartRoot(width, height);
  if (!months.length) return root;
  const t = (p) => Date.parse(p.month);
  const t0 = t(months[0]), t1 = t(months[months.length - 1]);
  const xOf = (ms) => left + (width - left - right) * (ms - t0) / Math.max(t1 - t0, 1);
  const max = Math.max(1, ...months.map(p => Math.max(p.value_usd, p.expected_high_usd || 0, p.expected_usd || 0)));
  const yOf = (v) => height - bottom - (height - top - bottom) * v / max;
  for (let k = 0; k <= 4; k++) {
    const v = max * k / 4, y = yOf(v);
    root.append(svg("line", { x1: left, x2: width - right, y1: y, y2: y, stroke: "#e6e9ee" }));
    root.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, moneyCompact(v)));
  }
  for (let year = new Date(t0).getUTCFullYear(); year <= new Date(t1).getUTCFullYear(); year++) {
    const at = Date.UTC(year, 0, 1);
    if (at >= t0 && at <= t1) root.append(svg("text", { x: xOf(at), y: height - 6, "text-anchor": "middle" }, String(year)));
  }
  const band = months.filter(p => p.expected_low_usd != null);
  if (band.length) {
    const points = band.map(p => xOf(t(p)) + "," + yOf(p.expected_high_usd))
      .concat(band.slice().reverse().map(p => xOf(t(p)) + "," + yOf(p.expected_low_usd)));
    root.append(svg("polygon", { points: points.join(" "), fill: "#1f5fa8", "fill-opacity": 0.15, class: "band" }));
  }
  const line = (items, value, attrs) => root.append(svg("polyline", Object.assign({ fill: "none",
    points: items.map(p => xOf(t(p)) + "," + yOf(value(p))).join(" ") }, attrs)));
  line(months.filter(p => p.expected_usd != null), p => p.expected_usd, { stroke: "#57606a", "stroke-dasharray": "5 3", "stroke-width": 1.5, class: "expected" });
  line(months, p => p.value_usd, { stroke: "#1f5fa8", "stroke-width": 2, class: "actual" });
  const x = xOf(Date.parse(s.invasion));
  root.append(svg("line", { x1: x, x2: x, y1: top - 6, y2: height - bottom, stroke: "#c62828", "stroke-dasharray": "4 3", class: "invasion" }));
  root.append(svg("text", { class: "event", x: x - 4, y: top - 8 + CHART_FONT_PX, "text-anchor": "end" }, "Invasion " + s.invasion));
  for (const p of months) {
    const dot = svg("circle", { cx: xOf(t(p)), cy: yOf(p.value_usd), r: 3, fill: "transparent" });
    dot.append(svg("title", {}, p.month.slice(0, 7) + ": " + money(p.value_usd) + (p.expected_usd == null ? "" : " (model " + money(p.expected_usd) + ")")));
    root.append(dot);
  }
  return root;
}

function renderMatches(entity, x) {
  const blocks = [];
  const describe = (m) => {
    const e = m.explanation || {};
    const features = Object.entries(e.features || {}).map(([k, v]) => k + " " + v).join(", ");
    return "matched «" + (m.matched_name || e.matched_name || "") + "» for «" + (m.query_name || e.query_name || "") + "»" + (features ? "; features: " + features : "") + (m.listing_date_note ? "; " + m.listing_date_note : "");
  };
  const rows = (entity.matches || []).map(m => [entity.name, m.list, m.list_entity_id, m.list_name, m.score, m.listing_date || "unknown", (m.programs || []).join(", "), describe(m)]);
  for (const s of x.by_supplier) {
    for (const l of s.listings) rows.push([s.name, l.list, "", "", "", l.listing_date || "unknown", "", "counterparty on a list"]);
  }
  blocks.push(rows.length ? table(["party", "list", "id", "list name", "score", "listed", "programmes", "why"], rows, { num: [4], day: [5] })
    : el("p", { class: "meta", text: "No party here matched a loaded sanctions list." }));
  $("matches").replaceChildren(...blocks);
}

// -- alerts ---------------------------------------------------------------------------------
// What changed on the lists for the store's parties (GET /alerts, as `tradetrace alerts`):
// the latest screening's, or every one seen since a day.

function alertEvent(a) {
  const words = {
    designated: "designated",
    delisted: "delisted" + (a.delisting_date ? " on " + a.delisting_date : ""),
    listing_date_changed: "listing date changed" + (a.previous_listing_date ? " from " + a.previous_listing_date : ""),
    match_gone: "no longer matches the entry",
  }[a.event] || a.event.replace(/_/g, " ");
  return el("div", {}, el("span", { class: a.event === "designated" ? "chip listed" : "chip", text: words }),
    el("div", { class: "meta", text: "by " + a.cause }));
}

function partyButton(a) {
  const name = a.entity_name || a.entity_id;
  return el("button", { type: "button", class: "link", "data-entity": a.entity_id, title: a.entity_id,
    "aria-label": "Open the exposure of " + name, text: name,
    onclick: () => openEntity(a.entity_id).then(() => { if (!$("entity").hidden) window.scrollTo({ top: 0 }); }) });
}

// The entry's list and id, its primary name under them.
const alertEntry = (a) => el("div", {}, document.createTextNode(a.list + " " + a.list_entity_id),
  a.list_name ? el("div", { class: "meta", text: a.list_name }) : null);

// Each programme on one line ("RUSSIA-EO14024" never split at its hyphen), a line break
// allowed between them.
function programmes(a) {
  if (!(a.programs || []).length) return DASH;
  return el("span", {}, ...a.programs.flatMap((p, i) => [i ? ", " : null, el("span", { class: "keep", text: p })]));
}

function renderAlerts(found, since) {
  if (!found.length) {
    $("alerts").replaceChildren(el("p", { class: "meta", text: since ? "No alerts seen since " + since + "." : "No alerts in the latest screening." }));
    return;
  }
  const rows = found.map(a => [alertEvent(a), partyButton(a), alertEntry(a), programmes(a), a.listing_date || "unknown",
    money(a.trade_usd), money(a.trade_after_listing_usd), a.last_trade_date || DASH,
    count(a.declarations), a.detected_at.slice(0, 10)]);
  $("alerts").replaceChildren(table(["event", "party", "list entry", "programmes", "listed", "trade",
    "trade on or after listing", "last trade", "declarations", "seen"], rows, { num: [5, 6, 8], day: [4, 7, 9] }));
}

let alertsAsked = 0;  // only the answer to the latest question is shown

async function loadAlerts() {
  const since = $("since").value.trim(), asked = ++alertsAsked;
  $("alerts-scope").textContent = since ? "seen since " + since + " (UTC)" : "latest screening";
  try {
    const found = await getJSON("/alerts" + (since ? "?since=" + encodeURIComponent(since) : ""));
    if (asked === alertsAsked) renderAlerts(found, since);
  } catch (err) {
    if (asked === alertsAsked) $("alerts").replaceChildren(el("p", { class: "meta", text: err.message }));
  }
}

// -- charts (SVG) ---------------------------------------------------------------------------

// SVG text neither wraps nor stays inside its chart, so labels are measured before they are
// drawn: a long name is shortened at its end, and event labels close in time are moved apart.
const CHART_FONT_PX = 11;
const textWidth = (() => {
  const context = document.createElement("canvas").getContext("2d");
  return (text) => {
    context.font = CHART_FONT_PX + "px " + getComputedStyle(document.body).fontFamily;
    return context.measureText(text).width;
  };
})();

function fitText(text, room) {
  if (textWidth(text) <= room) return text;
  const characters = Array.from(text);  // not UTF-16 units: never cut a character in half
  const shortened = (n) => characters.slice(0, n).join("").trimEnd() + "…";
  let keep = characters.length - 1;
  while (keep > 1 && textWidth(shortened(keep)) > room) keep--;
  return shortened(keep);
}

function chartRoot(width, height) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "font-size": CHART_FONT_PX });
}

function barChart(items) {
  const width = 600, bar = 20, gap = 6, left = 215, right = 70, labelGap = 6;
  const height = Math.max(items.length * (bar + gap) + 10, 40);
  const max = Math.max(...items.map(i => i.value), 1);
  const root = chartRoot(width, height);
  items.forEach((item, n) => {
    const y = 5 + n * (bar + gap);
    const w = Math.max(1, (width - left - right) * item.value / max);
    root.append(svg("text", { x: left - labelGap, y: y + bar * 0.7, "text-anchor": "end" }, fitText(item.label, left - labelGap)));
    const rect = svg("rect", { x: left, y, width: w, height: bar, rx: 3, fill: item.alarm ? "#c62828" : item.key ? colour(item.key) : "#1f5fa8" });
    rect.append(svg("title", {}, item.label + ": " + money(item.value) + (item.share == null ? "" : " (" + share(item.share) + ")")));
    root.append(rect);
    root.append(svg("text", { x: left + w + 5, y: y + bar * 0.7 }, moneyCompact(item.value)));
  });
  return root;
}

// Each event label goes on the first row above the bars where it clears the labels already
// there, so two events close in time (the invasion, a designation) never print over each other.
function eventLabels(events, xOf, width) {
  const spacing = 8, rowEnds = [];
  const labels = events.map(e => {
    const text = eventName(e) + " " + e.date;
    const x = xOf(e.date), w = textWidth(text);
    const leftward = x + 3 + w > width;  // near the right edge the label ends at its line
    return { text, x, w, start: leftward ? x - 3 - w : x + 3 };
  }).filter(l => l.x != null).sort((a, b) => a.start - b.start);
  for (const label of labels) {
    label.row = rowEnds.findIndex(end => end + spacing <= label.start);
    if (label.row < 0) label.row = rowEnds.push(0) - 1;
    rowEnds[label.row] = label.start + label.w;
  }
  return { labels, rows: rowEnds.length };
}

function yearChart(x) {
  const width = 560, plot = 196, left = 56, bottom = 26, rowHeight = 14;
  const years = x.by_year;
  if (!years.length) return chartRoot(width, plot + bottom);
  const first = years[0].year, last = years[years.length - 1].year + 1;
  const band = (width - left - 10) / years.length;
  const xOf = (date) => {
    const d = new Date(date), at = d.getUTCFullYear() + (d.getUTCMonth() * 31 + d.getUTCDate()) / 372;
    return at < first || at > last ? null : left + (at - first) * band;
  };
  const events = eventLabels(x.events, xOf, width);
  const top = 8 + events.rows * rowHeight, height = top + plot + bottom, base = height - bottom;
  const root = chartRoot(width, height);
  const max = Math.max(...years.map(y => y.value_usd), 1);
  const scale = (v) => plot * v / max;
  for (let t = 0; t <= 4; t++) {
    const v = max * t / 4, y = base - scale(v);
    root.append(svg("line", { x1: left, x2: width - 10, y1: y, y2: y, stroke: "#e6e9ee" }));
    root.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, moneyCompact(v)));
  }
  years.forEach((y, n) => {
    const h = scale(y.value_usd), bx = left + n * band + band * 0.15;
    const rect = svg("rect", { x: bx, y: base - h, width: band * 0.7, height: h, fill: "#1f5fa8", rx: 2 });
    rect.append(svg("title", {}, y.year + ": " + money(y.value_usd)));
    root.append(rect);
    root.append(svg("text", { x: bx + band * 0.35, y: height - 8, "text-anchor": "middle" }, String(y.year)));
  });
  // Lines first, labels over them: a label's halo keeps another event's line off its letters.
  const rowTop = (label) => 8 + label.row * rowHeight;
  for (const label of events.labels) {
    root.append(svg("line", { x1: label.x, x2: label.x, y1: rowTop(label) + 1, y2: base, stroke: "#c62828", "stroke-dasharray": "4 3" }));
  }
  for (const label of events.labels) {
    root.append(svg("text", { class: "event", x: label.start, y: rowTop(label) + rowHeight - 3 }, label.text));
  }
  return root;
}

// -- network (force layout) -----------------------------------------------------------------

async function loadGraph() {
  const area = $("network");
  area.replaceChildren();
  try {
    const g = await getJSON("/graph/" + encodeURIComponent(state.target) + "?hops=" + $("hops").value + "&role=" + $("role").value);
    drawNetwork(g);
    const paths = g.paths_to_listed || [];
    $("graph-paths").textContent = g.nodes.length + " entities, " + g.edges.length + " links" +
      (paths.length ? " · paths to listed parties: " + paths.map(p => p.path.length - 1 + " hop(s) to " + nameOf(g, p.listed)).join("; ") : "");
  } catch (err) { $("graph-paths").textContent = "network unavailable: " + err.message; }
}

const nameOf = (g, id) => (g.nodes.find(n => n.id === id) || { name: id }).name;

function drawNetwork(g) {
  const area = $("network");
  const width = area.clientWidth || 900, height = area.clientHeight || 460;
  area.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const nodes = g.nodes.map((n, i) => Object.assign({}, n, {
    x: width / 2 + Math.cos(i * 2.4) * (40 + 12 * i), y: height / 2 + Math.sin(i * 2.4) * (40 + 8 * i), vx: 0, vy: 0 }));
  const index = Object.fromEntries(nodes.map(n => [n.id, n]));
  const edges = g.edges.filter(e => index[e.source] && index[e.target]);
  const maxValue = Math.max(...edges.map(e => e.value_usd), 1);
  const target = index[g.target];
  if (target) { target.x = width / 2; target.y = height / 2; }
  for (let step = 0; step < 300; step++) {
    const cool = 1 - step / 300;
    for (const a of nodes) for (const b of nodes) {
      if (a === b) continue;
      const dx = a.x - b.x, dy = a.y - b.y, d2 = dx * dx + dy * dy + 0.01;
      const f = 2400 / d2;
      a.vx += dx * f / Math.sqrt(d2); a.vy += dy * f / Math.sqrt(d2);
    }
    for (const e of edges) {
      const a = index[e.source], b = index[e.target];
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.sqrt(dx * dx + dy * dy) + 0.01;
      const f = (d - Math.min(width, height) * 0.38) * 0.02;
      a.vx += dx / d * f; a.vy += dy / d * f; b.vx -= dx / d * f; b.vy -= dy / d * f;
    }
    for (const n of nodes) {
      n.vx += (width / 2 - n.x) * 0.004; n.vy += (height / 2 - n.y) * 0.004;
      n.x = Math.min(width - 20, Math.max(20, n.x + n.vx * cool)); n.y = Math.min(height - 20, Math.max(20, n.y + n.vy * cool));
      n.vx *= 0.5; n.vy *= 0.5;
    }
  }
  const lines = edges.map(e => {
    const line = svg("line", { stroke: "#9fb3c8", "stroke-width": 1 + 7 * e.value_usd / maxValue, "stroke-opacity": 0.8 });
    line.append(svg("title", {}, nameOf(g, e.source) + " → " + nameOf(g, e.target) + ": " + money(e.value_usd) + " in " + e.declarations + " declarations"));
    area.append(line);
    return [line, e];
  });
  const groups = nodes.map(n => {
    const group = svg("g", { class: "node", "data-entity": n.id, cursor: "pointer" });
    const r = n.id === g.target ? 11 : 7;
    group.append(svg("circle", { r, fill: n.listed ? "#c62828" : n.id === g.target ? "#14202e" : colour(n.country || "?"), stroke: "#fff", "stroke-width": 2 }));
    group.append(svg("text", { x: r + 3, y: 4 }, n.name.length > 28 ? n.name.slice(0, 27) + "…" : n.name));
    group.addEventListener("mouseenter", (ev) => tooltip(ev, n));
    group.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
    drag(group, n, () => place(lines, groups, index));
    area.append(group);
    return [group, n];
  });
  place(lines, groups, index);
}

function place(lines, groups, index) {
  for (const [line, e] of lines) {
    const a = index[e.source], b = index[e.target];
    line.setAttribute("x1", a.x); line.setAttribute("y1", a.y); line.setAttribute("x2", b.x); line.setAttribute("y2", b.y);
  }
  for (const [group, n] of groups) group.setAttribute("transform", `translate(${n.x},${n.y})`);
}

function drag(group, node, redraw) {
  let moved = false;
  group.addEventListener("pointerdown", (ev) => {
    moved = false;
    const area = $("network"), ctm = area.getScreenCTM().inverse();
    group.setPointerCapture(ev.pointerId);
    const move = (e) => {
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm);
      node.x = p.x; node.y = p.y; moved = true; redraw();
    };
    const up = () => {
      group.removeEventListener("pointermove", move);
      group.removeEventListener("pointerup", up);
      if (!moved && node.id !== state.target) openEntity(node.id);
    };
    group.addEventListener("pointermove", move);
    group.addEventListener("pointerup", up);
  });
}

function tooltip(ev, n) {
  const tip = $("tooltip");
  const lists = (n.listings || []).map(l => l.list + " since " + (l.listing_date || "?")).join("; ");
  tip.textContent = n.name + " · " + (n.country || "country unknown") + " · " + money(n.value_usd || 0) + (lists ? " · LISTED: " + lists : "");
  tip.style.left = ev.clientX + 12 + "px"; tip.style.top = ev.clientY + 12 + "px";
  tip.hidden = false;
}

// -- downloads ------------------------------------------------------------------------------

async function download(format) {
  try {
    const response = await api("/report/" + encodeURIComponent(state.target) + "?format=" + format + "&" + exposureQuery());
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: "tradetrace-" + state.target + "." + format });
    document.body.append(link); link.click(); link.remove();
  } catch (err) { message(err.message, true); }
}

// -- start ----------------------------------------------------------------------------------

function bind() {
  $("search").addEventListener("submit", (ev) => { ev.preventDefault(); const q = $("q").value.trim(); if (q) search(q); });
  $("options").addEventListener("submit", (ev) => { ev.preventDefault(); if (state.target) openEntity(state.target); });
  $("hops").addEventListener("change", loadGraph);
  $("alerts-options").addEventListener("submit", (ev) => { ev.preventDefault(); loadAlerts(); });
  $("keysave").addEventListener("click", () => { sessionStorage.setItem("tradetrace-key", $("key").value); $("keybox").hidden = true; start(); });
  document.querySelectorAll(".downloads button").forEach(b => b.addEventListener("click", () => download(b.dataset.format)));
}

async function start() {
  try {
    const s = await getJSON("/summary");
    $("synthetic").hidden = !s.synthetic;
    $("store").textContent = count(s.lines) + " lines · " + count(s.entities) + " entities · " + count(s.matched_entities) + " on lists";
    loadAlerts();
    state.flows = s.trade_flows;
    if (s.trade_flows) loadFlows();
    else $("flows").replaceChildren(el("p", { class: "meta", text: "No official statistics are loaded: tradetrace stats load reads Eurostat Comext, IMF IMTS and UN Comtrade files." }));
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash) openEntity(hash);
  } catch (err) { message(err.message, true); }
}

bind();
start();
