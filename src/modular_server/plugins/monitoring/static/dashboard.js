// The /db-performance dashboard: reads the admin API with a key kept in sessionStorage and
// draws its charts as inline SVG (no library, no CDN). Data is only ever set as text, never
// as HTML.
"use strict";
(() => {
  const STORAGE_KEY = "modular-server.performance.key";
  const SVG = "http://www.w3.org/2000/svg";
  const MAX_ROUTE_CHARTS = 12;
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const refreshMs = Math.max(1, Number(body.dataset.refreshSeconds) || 10) * 1000;
  let timer = null;

  class AuthError extends Error {}

  // A key may arrive in the URL fragment (never sent to the server); move it to sessionStorage.
  function takeKeyFromFragment() {
    const match = /(?:^|&)key=([^&]+)/.exec(location.hash.slice(1));
    if (match) {
      sessionStorage.setItem(STORAGE_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  async function api(path) {
    const response = await fetch("/api/v1/performance/" + path, {
      headers: { Authorization: "Bearer " + sessionStorage.getItem(STORAGE_KEY) },
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) {
      throw new AuthError("the key was refused (" + response.status + "); an admin key is needed");
    }
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  const fmt = (v, digits = 1) => (v === null || v === undefined ? "-" : Number(v).toFixed(digits));

  function card(label, value) {
    const node = el("div", { class: "card" });
    node.append(el("div", { class: "value" }, value), el("div", { class: "label" }, label));
    return node;
  }

  // Line chart over time; series: [{name, cls, points: [[Date, number|null]]}]
  function lineChart(series, height = 170) {
    const width = 560, left = 44, right = 10, top = 10, bottom = 22;
    const all = series.flatMap((s) => s.points.filter((p) => p[1] !== null));
    if (!all.length) return el("p", { class: "empty" }, "no data");
    const times = all.map((p) => p[0].getTime());
    const t0 = Math.min(...times), t1 = Math.max(...times);
    const vmax = Math.max(...all.map((p) => p[1]), 0.001) * 1.1;
    const x = (t) => (t1 === t0 ? left + (width - left - right) / 2 : left + ((t - t0) / (t1 - t0)) * (width - left - right));
    const y = (v) => top + (1 - v / vmax) * (height - top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", "data-points": String(all.length) });
    chart.append(
      svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
      svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }),
    );
    for (const fraction of [0, 0.5, 1]) {
      const v = (vmax / 1.1) * fraction;
      chart.append(svg("text", { x: left - 4, y: y(v) + 3, "text-anchor": "end" }, fmt(v)));
    }
    for (const t of t1 === t0 ? [t0] : [t0, t1]) {
      const label = new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      chart.append(svg("text", { x: x(t), y: height - 6, "text-anchor": "middle" }, label));
    }
    for (const s of series) {
      const points = s.points.filter((p) => p[1] !== null);
      if (!points.length) continue;
      const d = points.map((p, i) => `${i ? "L" : "M"}${x(p[0].getTime()).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
      chart.append(svg("path", { class: `series ${s.cls}`, d, "data-points": String(points.length) }));
      for (const p of points) {
        const dot = svg("circle", { class: s.cls, cx: x(p[0].getTime()).toFixed(1), cy: y(p[1]).toFixed(1), r: 2.5 });
        dot.append(svg("title", {}, `${s.name}: ${fmt(p[1], 2)} ms`));
        chart.append(dot);
      }
    }
    return chart;
  }

  function barChart(rows) {
    const width = 560, rowHeight = 22, left = 260, right = 60;
    const height = rows.length * rowHeight + 6;
    const vmax = Math.max(...rows.map((r) => r.value), 1);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart bars", "data-points": String(rows.length) });
    rows.forEach((r, i) => {
      const yTop = 3 + i * rowHeight;
      const w = Math.max(1, (r.value / vmax) * (width - left - right));
      chart.append(svg("text", { x: left - 6, y: yTop + 14, "text-anchor": "end" }, r.label));
      const bar = svg("rect", { class: "bar", x: left, y: yTop + 3, width: w.toFixed(1), height: rowHeight - 8, "data-value": String(r.value) });
      bar.append(svg("title", {}, r.title));
      chart.append(bar, svg("text", { x: left + w + 4, y: yTop + 14 }, r.text));
    });
    return chart;
  }

  function renderTotals(stats) {
    const box = $("totals");
    box.replaceChildren(
      card("requests", stats.requests),
      card("p50 ms", fmt(stats.latency.p50_ms, 2)),
      card("p95 ms", fmt(stats.latency.p95_ms, 2)),
      card("p99 ms", fmt(stats.latency.p99_ms, 2)),
      card("statements / request", fmt(stats.statements_mean, 2)),
      card("db ms / request", fmt(stats.db_time_ms_mean, 2)),
      card("server errors", stats.server_errors),
      card("slow queries", stats.slow_queries),
      card("N+1 requests", stats.n_plus_one),
      card("workers", stats.workers),
    );
    const cacheSection = $("cache-section");
    cacheSection.hidden = !stats.cache;
    if (stats.cache) {
      const cards = [
        card("hit ratio", stats.cache.hit_ratio === null ? "-" : `${(stats.cache.hit_ratio * 100).toFixed(1)} %`),
        card("hits", stats.cache.hits),
        card("misses", stats.cache.misses),
      ];
      for (const [k, v] of Object.entries(stats.cache.plugin || {})) {
        if (typeof v === "number" || typeof v === "string") cards.push(card(k, v));
      }
      $("cache").replaceChildren(...cards);
    }
  }

  function renderRoutes(routes) {
    const charts = $("latency-charts");
    // "(background)" carries slow statements outside requests: no latency to draw
    const figures = routes.filter((r) => r.requests > 0).slice(0, MAX_ROUTE_CHARTS).map((r) => {
      const figure = el("figure", { "data-route": `${r.method} ${r.route}` });
      const caption = el("figcaption", {}, `${r.method} ${r.route} - ${r.requests} requests, p95 ${fmt(r.latency.p95_ms, 2)} ms`);
      const legend = el("div", { class: "legend" });
      legend.append(el("span", { class: "p50" }, "p50"), el("span", { class: "p95" }, "p95"), el("span", { class: "p99" }, "p99"));
      const points = (key) => r.series.map((p) => [new Date(p.t), p[key]]);
      figure.append(caption, lineChart([
        { name: "p50", cls: "p50", points: points("p50_ms") },
        { name: "p95", cls: "p95", points: points("p95_ms") },
        { name: "p99", cls: "p99", points: points("p99_ms") },
      ]), legend);
      return figure;
    });
    charts.replaceChildren(...(figures.length ? figures : [el("p", { class: "empty" }, "no requests in this window")]));
    const bars = routes.filter((r) => r.statements_mean !== null).slice(0, 20).map((r) => ({
      label: `${r.method} ${r.route}`.slice(0, 44),
      value: r.statements_mean,
      text: `${fmt(r.statements_mean, 1)} (max ${r.statements_max})`,
      title: `${r.method} ${r.route}: mean ${fmt(r.statements_mean, 2)}, max ${r.statements_max} statements`,
    }));
    $("statements-chart").replaceChildren(bars.length ? barChart(bars) : el("p", { class: "empty" }, "no requests in this window"));
  }

  function fillTable(id, rows, cells, emptyText) {
    const tbody = $(id).querySelector("tbody");
    if (!rows.length) {
      const tr = el("tr");
      tr.append(el("td", { colspan: "5", class: "empty" }, emptyText));
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(...rows.map((row) => {
      const tr = el("tr");
      for (const cell of cells(row)) tr.append(cell instanceof Node ? wrap(cell) : el("td", {}, cell));
      return tr;
    }));
  }

  const wrap = (node) => { const td = el("td"); td.append(node); return td; };
  const when = (iso) => new Date(iso).toLocaleString();

  function planCell(q) {
    if (!q.plan) return el("span", { class: "empty" }, q.plan_note || "-");
    const details = el("details");
    details.append(el("summary", {}, "plan"), el("pre", {}, JSON.stringify(q.plan, null, 2)));
    return details;
  }

  function renderSlow(items) {
    fillTable("slow-queries", items, (q) => [
      when(q.occurred_at), q.route ? `${q.method} ${q.route}` : "(background)", fmt(q.duration_ms, 1),
      el("code", {}, q.fingerprint), planCell(q),
    ], "no slow queries in this window");
  }

  function renderNPlusOne(items) {
    fillTable("n-plus-one", items, (o) => [
      `${o.method} ${o.route}`, el("code", {}, o.fingerprint), o.occurrences, o.max_count, when(o.last_seen),
    ], "no N+1 patterns in this window");
  }

  async function refresh() {
    clearTimeout(timer);
    const hours = $("hours").value;
    try {
      const [stats, routes, slow, nPlusOne] = await Promise.all([
        api(`stats?hours=${hours}`),
        api(`routes?hours=${hours}`),
        api(`slow-queries?hours=${hours}&limit=20`),
        api(`n-plus-one?hours=${hours}&limit=20`),
      ]);
      renderTotals(stats);
      renderRoutes(routes.items);
      renderSlow(slow.items);
      renderNPlusOne(nPlusOne.items);
      body.dataset.state = "ready";
      body.dataset.updated = new Date().toISOString();
      $("status").textContent = `updated ${new Date().toLocaleTimeString()} - refreshes every ${refreshMs / 1000} s`;
    } catch (error) {
      if (error instanceof AuthError) {
        lock(error.message);
        return;
      }
      body.dataset.state = "error";
      $("status").textContent = `refresh failed: ${error.message}`;
    }
    timer = setTimeout(refresh, refreshMs);
  }

  function lock(message) {
    clearTimeout(timer);
    sessionStorage.removeItem(STORAGE_KEY);
    body.dataset.state = "locked";
    $("content").hidden = true;
    $("controls").hidden = true;
    $("login").hidden = false;
    $("status").textContent = message || "enter an API key with the admin scope";
  }

  function unlock() {
    $("login").hidden = true;
    $("controls").hidden = false;
    $("content").hidden = false;
    body.dataset.state = "loading";
    refresh();
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(STORAGE_KEY, $("key").value.trim());
    $("key").value = "";
    unlock();
  });
  $("forget").addEventListener("click", () => lock());
  $("hours").addEventListener("change", refresh);

  takeKeyFromFragment();
  if (sessionStorage.getItem(STORAGE_KEY)) unlock();
  else lock();
})();
