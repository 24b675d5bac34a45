// livemappr's map view. Runs in the browser: live (the map over a WebSocket
// from the engine, every action back through the engine's trigger path) or
// offline (a map.json embedded by `livemappr map`, sounds from their files).
// Frame format: livemappr/web/frames.py. Messages: livemappr/web/actions.py.
(function () {
  "use strict";
  const C = window.LIVEMAPPR;
  const LIVE = C.mode === "live";
  const KEYS = "abcdefghijklmnopqrstuvwxyz";
  const PADS = 16;
  const colours = C.palette.map(function (c) { return "rgb(" + c.join(",") + ")"; });
  const fills = C.palette.map(function (c) { return "rgba(" + c.join(",") + ",0.10)"; });
  const BG = "rgb(" + C.background.join(",") + ")";
  const NOISE = "rgb(120,120,120)";
  const colour = function (c) { return c < 0 ? NOISE : colours[c % colours.length]; };

  // -- the map: targets (t*) from the engine, display positions (d*) easing towards them
  let n = 0, cap = 0, version = 0;
  let tx, ty, dx, dy, cid, born;
  let groups = [], sizes = [], names = {};
  let moving = false, dirty = true, waveDirty = true;
  let hover = -1;
  const flashes = new Map(), heldClusters = new Map(), arrivals = [];
  const stats = { plays: 0, keys: 0, pads: 0, frames: 0, resyncs: 0, learns: 0 };
  let lastStatus = null, ws = null, connected = false;

  function ensure(m) {
    if (m <= cap) return;
    const c = Math.max(m, cap * 2, 256);
    const f = function (old, T) { const a = new T(c); if (old) a.set(old.subarray(0, n)); return a; };
    tx = f(tx, Float32Array); ty = f(ty, Float32Array); dx = f(dx, Float32Array); dy = f(dy, Float32Array);
    cid = f(cid, Int8Array); born = f(born, Float64Array);
    cap = c;
  }

  function regroup(force) {
    const by = new Map();
    for (let i = 0; i < n; i++) {
      const c = cid[i];
      if (!by.has(c)) by.set(c, []);
      by.get(c).push(i);
    }
    refit(force);
    groups = Array.from(by.entries()).sort(function (a, b) { return a[0] - b[0]; })
      .map(function (e) { return { c: e[0], idx: Int32Array.from(e[1]), hull: e[0] >= 0 ? hullOf(e[1]) : [] }; });
    sizes = new Array(26).fill(0);
    for (const g of groups) if (g.c >= 0 && g.c < 26) sizes[g.c] = g.idx.length;
    updatePads();
  }

  // One binary frame (header: frames.py): returns the version it brought, or 0.
  function applyFrame(buf) {
    const dv = new DataView(buf);
    const kind = dv.getUint8(0), ver = dv.getUint32(4, true), base = dv.getUint32(8, true);
    const N = dv.getUint32(12, true), m = dv.getUint32(16, true);
    if (kind === 2) {
      if (ver <= version) return 0;  // already in a full frame we took
      if (base !== version) { stats.resyncs++; send({ t: "resync" }); return 0; }
    } else if (kind !== 1) return 0;
    const first = version === 0 || N < n;
    const now = performance.now();
    ensure(N);
    let off = 24, idx = null;
    if (kind === 2) { idx = new Uint32Array(buf, off, m); off += 4 * m; }
    const X = new Uint16Array(buf, off, m), Y = new Uint16Array(buf, off + 2 * m, m);
    const K = new Int8Array(buf, off + 4 * m, m);
    const old = first ? 0 : n;
    for (let j = 0; j < m; j++) {
      const i = idx ? idx[j] : j;
      tx[i] = X[j] / 65535; ty[i] = Y[j] / 65535; cid[i] = K[j];
    }
    for (let i = old; i < N; i++) {
      // A new point flies in from the middle of the map; a whole map on connect is just drawn.
      if (first) { dx[i] = tx[i]; dy[i] = ty[i]; born[i] = 0; }
      else { dx[i] = shown.cx; dy[i] = shown.cy; born[i] = now; }
    }
    n = N; version = ver; stats.frames++;
    regroup(first);
    if (first) Object.assign(shown, fit);
    moving = true; dirty = true;
    return ver;
  }

  // -- drawing
  const canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
  const wave = document.getElementById("wave"), wctx = wave.getContext("2d");
  let W = 0, H = 0, last = performance.now();

  function resize() {
    const r = window.devicePixelRatio || 1;
    for (const [cv, cx] of [[canvas, ctx], [wave, wctx]]) {
      const w = cv.clientWidth, h = cv.clientHeight;
      cv.width = Math.max(1, Math.round(w * r)); cv.height = Math.max(1, Math.round(h * r));
      cx.setTransform(r, 0, 0, r, 0, 0);
    }
    W = canvas.clientWidth; H = canvas.clientHeight;
    dirty = waveDirty = true;
  }

  // -- the view: the occupied part of the map fills the canvas, x and y at one
  // scale (a map's distances mean something). `fit` is the box the points
  // ask for; `shown` eases towards it, and `fit` only moves when the box
  // changes noticeably, so the view does not twitch as points arrive.
  const fit = { cx: 0.5, cy: 0.5, w: 1, h: 1 }, shown = { cx: 0.5, cy: 0.5, w: 1, h: 1 };
  let viewMoving = false;
  const EDGE = 16;  // CSS px kept free round the points
  function quantiles(a, m, stride) {
    const v = new Float32Array(Math.ceil(m / stride));
    for (let i = 0, k = 0; i < m; i += stride) v[k++] = a[i];
    v.sort();
    const at = function (q) { return v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))]; };
    return [at(0), at(0.01), at(0.99), at(1)];
  }
  // The points' box; where a few points lie far out (beyond 30% of the 1st..99th
  // percentile box), that box widened a bit instead: far outliers do not
  // shrink the map to a corner (they are drawn on the canvas's edge).
  function refit(force) {
    if (n === 0) return;
    const stride = Math.max(1, Math.floor(n / 4000));
    const qx = quantiles(tx, n, stride), qy = quantiles(ty, n, stride);
    const box = [];
    for (const q of [qx, qy]) {
      const span = Math.max(q[2] - q[1], 0.02);
      let lo = q[1] - 0.04 * span, hi = q[2] + 0.04 * span;
      if (q[0] >= q[1] - 0.3 * span) lo = q[0];  // every point fits: EDGE is the margin
      if (q[3] <= q[2] + 0.3 * span) hi = q[3];
      box.push([lo, hi]);
    }
    const next = { cx: (box[0][0] + box[0][1]) / 2, cy: (box[1][0] + box[1][1]) / 2,
                   w: box[0][1] - box[0][0], h: box[1][1] - box[1][0] };
    const size = Math.max(fit.w, fit.h, 1e-6);
    const dw = Math.abs(next.w - fit.w) / 2, dh = Math.abs(next.h - fit.h) / 2;  // how far an edge moved
    const change = Math.max(Math.abs(next.cx - fit.cx) + dw, Math.abs(next.cy - fit.cy) + dh);
    if (force || change > 0.05 * size) {
      Object.assign(fit, next); viewMoving = true; dirty = true;
    }
  }
  function scale() {
    return Math.max(1e-6, Math.min((W - 2 * EDGE) / Math.max(shown.w, 1e-6), (H - 2 * EDGE) / Math.max(shown.h, 1e-6)));
  }
  let k = 1;  // the scale of the frame being drawn (set by draw)
  const clamp = function (v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; };
  const sx = function (x) { return clamp(W / 2 + (x - shown.cx) * k, 4, W - 4); };
  const sy = function (y) { return clamp(H / 2 - (y - shown.cy) * k, 4, H - 4); };

  // Which points outline a cluster: found on the targets when a frame arrives
  // (a sort per cluster), then drawn through the points' eased positions every
  // animation frame, so drawing stays linear in the points.
  function hullOf(idx) {
    const p = Array.from(idx);
    p.sort(function (a, b) { return tx[a] - tx[b] || ty[a] - ty[b]; });
    if (p.length < 3) return p;
    const cross = function (o, a, b) { return (tx[a] - tx[o]) * (ty[b] - ty[o]) - (ty[a] - ty[o]) * (tx[b] - tx[o]); };
    const lo = [], up = [];
    for (const q of p) { while (lo.length >= 2 && cross(lo[lo.length - 2], lo[lo.length - 1], q) <= 0) lo.pop(); lo.push(q); }
    for (let k = p.length - 1; k >= 0; k--) {
      const q = p[k];
      while (up.length >= 2 && cross(up[up.length - 2], up[up.length - 1], q) <= 0) up.pop();
      up.push(q);
    }
    return lo.slice(0, -1).concat(up.slice(0, -1));
  }

  // -- cluster labels: at the cluster's centre, or, when that box is taken,
  // at the nearest free place round it (rings of candidate offsets, wider
  // than tall as labels are); the biggest clusters choose first, and a label
  // keeps last frame's place while it is free, so labels do not hop about.
  const LABEL_H = 20;
  const RINGS = (function () {
    const out = [];
    for (let r = 1; r <= 48; r++) {
      const m = 8 * r;
      for (let j = 0; j < m; j++) {
        const a = 2 * Math.PI * j / m;
        out.push([Math.round(r * 16 * Math.cos(a)), Math.round(r * (LABEL_H + 2) / 2 * Math.sin(a))]);
      }
    }
    return out;
  })();
  let labelBoxes = [];
  const lastOffset = new Map();
  function labelText(c) {
    const base = KEYS[c] ? KEYS[c].toUpperCase() + (c < PADS ? " " + (c + 1) : "") : String(c);
    const name = names[c];
    const text = typeof name === "string" && name ? base + " · " + name : base;
    return c === learning ? text + " · learning" : text;
  }
  function placeLabels(items) {
    items.sort(function (a, b) { return b.size - a.size || a.c - b.c; });
    const placed = [];
    const overlap = function (x, y, w, h) {
      let s = 0;
      for (const p of placed) {
        const ox = Math.min(x + w, p.x + p.w) - Math.max(x, p.x), oy = Math.min(y + h, p.y + p.h) - Math.max(y, p.y);
        if (ox > 0 && oy > 0) s += ox * oy;
      }
      return s;
    };
    for (const it of items) {
      const text = labelText(it.c), w = Math.min(W - 4, Math.ceil(ctx.measureText(text).width) + 8), h = LABEL_H;
      const prev = lastOffset.get(it.c);
      let best = null, bestCost = Infinity;
      const tryAt = function (ox, oy) {
        const x = clamp(it.ax + ox - w / 2, 2, W - w - 2), y = clamp(it.ay + oy - h / 2, 2, H - h - 2);
        const cost = overlap(x, y, w, h);
        if (cost < bestCost) { bestCost = cost; best = [x, y]; }
        return cost === 0;
      };
      if (!tryAt(0, 0) && !(prev && tryAt(prev[0], prev[1]))) {
        for (const o of RINGS) if (tryAt(o[0], o[1])) break;
      }
      const b = { c: it.c, text: text, x: best[0], y: best[1], w: w, h: h, ax: it.ax, ay: it.ay };
      const ox = b.x + w / 2 - it.ax, oy = b.y + h / 2 - it.ay;
      b.moved = Math.abs(ox) > 1 || Math.abs(oy) > 1;
      lastOffset.set(it.c, [ox, oy]);
      placed.push(b);
    }
    labelBoxes = placed;
  }

  function draw(t) {
    requestAnimationFrame(draw);
    const dt = Math.min(0.1, (t - last) / 1000); last = t;
    if (waveDirty) drawWave();
    if (!moving && !viewMoving && !dirty && flashes.size === 0 && heldClusters.size === 0) return;
    dirty = false;
    if (moving) {
      const a = 1 - Math.exp(-dt * 8);
      let far = 0;
      for (let i = 0; i < n; i++) {
        const ex = tx[i] - dx[i], ey = ty[i] - dy[i];
        dx[i] += ex * a; dy[i] += ey * a;
        far = Math.max(far, Math.abs(ex) + Math.abs(ey));
      }
      moving = far > 2e-4;
    }
    if (viewMoving) {
      const a = 1 - Math.exp(-dt * 5);
      let far = 0;
      for (const key of ["cx", "cy", "w", "h"]) {
        const e = fit[key] - shown[key];
        shown[key] += e * a; far = Math.max(far, Math.abs(e));
      }
      if (far < 1e-4) { Object.assign(shown, fit); viewMoving = false; }
    }
    k = scale();
    ctx.fillStyle = BG; ctx.fillRect(0, 0, W, H);
    ctx.font = "600 15px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const labels = [];
    for (const g of groups) {
      if (g.c < 0 || g.idx.length === 0) continue;
      const h = g.hull.map(function (i) { return [sx(dx[i]), sy(dy[i])]; });
      let cx = 0, cy = 0;  // the label's anchor: the members' mean
      for (let j = 0; j < g.idx.length; j++) { cx += sx(dx[g.idx[j]]); cy += sy(dy[g.idx[j]]); }
      cx /= g.idx.length; cy /= g.idx.length;
      if (h.length >= 3) {
        ctx.beginPath(); ctx.moveTo(h[0][0], h[0][1]);
        for (const q of h) ctx.lineTo(q[0], q[1]);
        ctx.closePath();
        ctx.fillStyle = heldClusters.has(g.c) ? "rgba(255,255,255,0.18)" : fills[g.c % fills.length];
        ctx.fill();
        ctx.strokeStyle = colour(g.c); ctx.globalAlpha = heldClusters.has(g.c) ? 1 : 0.55; ctx.lineWidth = 1.5;
        ctx.stroke(); ctx.globalAlpha = 1;
      }
      labels.push({ c: g.c, ax: cx, ay: cy, size: g.idx.length });
    }
    const r = n > 2000 ? 1.6 : n > 400 ? 2.2 : 3.2;
    for (const g of groups) {
      ctx.fillStyle = colour(g.c);
      ctx.beginPath();
      const idx = g.idx;
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k];
        ctx.rect(sx(dx[i]) - r, sy(dy[i]) - r, 2 * r, 2 * r);
      }
      ctx.fill();
    }
    const now = performance.now();
    ctx.lineWidth = 1.5;
    for (let i = Math.max(0, n - 64); i < n; i++) {  // the newest points ring as they land
      const age = (now - born[i]) / 700;
      if (born[i] && age < 1) {
        ctx.strokeStyle = "rgba(255,255,255," + (1 - age) + ")";
        ctx.beginPath(); ctx.arc(sx(dx[i]), sy(dy[i]), 3 + 12 * age, 0, 2 * Math.PI); ctx.stroke();
        dirty = true;
      }
    }
    for (const [i, t0] of flashes) {
      const age = (now - t0) / 500;
      if (age >= 1 || i >= n) { flashes.delete(i); continue; }
      ctx.fillStyle = "rgba(255,255,255," + (1 - age) + ")";
      ctx.beginPath(); ctx.arc(sx(dx[i]), sy(dy[i]), 4 + 8 * age, 0, 2 * Math.PI); ctx.fill();
    }
    if (hover >= 0 && hover < n) {
      ctx.strokeStyle = "#fff"; ctx.beginPath(); ctx.arc(sx(dx[hover]), sy(dy[hover]), 6, 0, 2 * Math.PI); ctx.stroke();
    }
    placeLabels(labels);
    ctx.lineWidth = 1; ctx.strokeStyle = "rgba(255,255,255,0.6)"; ctx.fillStyle = "rgba(255,255,255,0.8)";
    for (const b of labelBoxes) {  // a label pushed off its cluster: a thin line back to the centre
      if (!b.moved) continue;
      const ex = clamp(b.ax, b.x, b.x + b.w), ey = clamp(b.ay, b.y, b.y + b.h);
      ctx.beginPath(); ctx.moveTo(b.ax, b.ay); ctx.lineTo(ex, ey); ctx.stroke();
      ctx.beginPath(); ctx.arc(b.ax, b.ay, 2, 0, 2 * Math.PI); ctx.fill();
    }
    for (const b of labelBoxes) {
      const x = b.x + b.w / 2, y = b.y + b.h / 2;
      ctx.lineWidth = 4; ctx.strokeStyle = BG; ctx.strokeText(b.text, x, y);
      ctx.fillStyle = "#fff"; ctx.fillText(b.text, x, y);
    }
    for (const c of heldClusters.keys()) if (now - heldClusters.get(c) > 30000) heldClusters.delete(c);
  }

  // -- the waveform strip: the whole session, one column per slice of time
  let peaks = [], peaksFirst = 0;
  function drawWave() {
    waveDirty = false;
    const w = wave.clientWidth, h = wave.clientHeight, B = peaks.length;
    wctx.fillStyle = "#17171f"; wctx.fillRect(0, 0, w, h);
    if (!B) return;
    const bar = Math.min(3, w / B), cols = Math.min(B, Math.floor(w / bar));
    wctx.fillStyle = "#7fb3a0";
    for (let x = 0; x < cols; x++) {
      const a = Math.floor(x * B / cols), b = Math.max(a + 1, Math.floor((x + 1) * B / cols));
      let p = 0;
      for (let k = a; k < b; k++) if (peaks[k] > p) p = peaks[k];
      const bh = Math.max(1, p / 255 * (h - 4));
      wctx.fillRect(x * bar, (h - bh) / 2, Math.max(1, bar - 1), bh);
    }
  }

  // -- playing
  function send(m) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(m)); }

  function nearest(px, py, radius) {
    let best = -1, bd = radius * radius;
    for (let i = 0; i < n; i++) {
      const ex = sx(dx[i]) - px, ey = sy(dy[i]) - py, d = ex * ex + ey * ey;
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  function playSnippet(i) {
    flashes.set(i, performance.now()); dirty = true; stats.plays++;
    if (LIVE) send({ t: "snippet", i: i });
    else offlinePlay(i);
  }

  let pressed = false;
  function pointAt(e, force) {
    const r = canvas.getBoundingClientRect();
    const i = nearest(e.clientX - r.left, e.clientY - r.top, e.pointerType === "touch" ? 24 : 14);
    if (i !== hover) dirty = true;
    if (i >= 0 && (i !== hover || force)) playSnippet(i);
    hover = i;
  }
  // A press that stays put on a pad's cluster for LONG_PRESS ms teaches that pad until let go.
  let mapPress = null;
  canvas.addEventListener("pointermove", function (e) {
    if (mapPress && Math.hypot(e.clientX - mapPress.x, e.clientY - mapPress.y) > 10) {
      clearTimeout(mapPress.timer); mapPress.timer = null;
    }
    if (e.pointerType === "mouse" || pressed) pointAt(e, false);
  });
  canvas.addEventListener("pointerdown", function (e) {
    pressed = true; canvas.setPointerCapture(e.pointerId); pointAt(e, true);
    const c = hover >= 0 ? cid[hover] : -1;
    if (LIVE && c >= 0 && c < PADS) {
      mapPress = { x: e.clientX, y: e.clientY, c: c, learning: false, timer: null };
      const here = mapPress;
      here.timer = setTimeout(function () {
        here.timer = null; here.learning = true;
        heldClusters.set(c, performance.now()); startLearn(c);
      }, LONG_PRESS);
    }
  });
  for (const ev of ["pointerup", "pointercancel"]) canvas.addEventListener(ev, function () {
    pressed = false;
    if (!mapPress) return;
    clearTimeout(mapPress.timer);
    if (mapPress.learning) { heldClusters.delete(mapPress.c); stopLearn(mapPress.c); }
    mapPress = null;
  });
  canvas.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  canvas.addEventListener("pointerleave", function () { hover = -1; dirty = true; });

  const offlineCursor = {};
  function press(c, down, message) {
    if (down) heldClusters.set(c, performance.now()); else heldClusters.delete(c);
    dirty = true;
    const pad = document.querySelector('.pad[data-n="' + c + '"]');
    if (pad) pad.classList.toggle("hit", down);
    if (LIVE) { send(message); return; }
    const g = groups.find(function (g) { return g.c === c; });
    if (down && g && g.idx.length) {
      const k = (offlineCursor[c] = ((offlineCursor[c] || 0) + 1) % g.idx.length);
      playSnippet(g.idx[k]);
    }
  }
  const keysDown = new Set();
  window.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = (e.key || "").toLowerCase();
    if (k.length !== 1 || KEYS.indexOf(k) < 0) return;
    e.preventDefault();
    if (e.repeat || keysDown.has(k)) return;
    keysDown.add(k); stats.keys++;
    press(KEYS.indexOf(k), true, { t: "key", k: k, down: true });
  });
  window.addEventListener("keyup", function (e) {
    const k = (e.key || "").toLowerCase();
    if (!keysDown.delete(k)) return;
    press(KEYS.indexOf(k), false, { t: "key", k: k, down: false });
  });
  window.addEventListener("blur", function () {
    for (const k of keysDown) press(KEYS.indexOf(k), false, { t: "key", k: k, down: false });
    keysDown.clear();
  });

  // -- teaching (live only): a long press on a pad, or on a pad's cluster in the
  // map, holds that pad for teaching until let go; the engine teaches one pad at
  // a time, so a new long press takes over. A short press plays, as ever.
  const LONG_PRESS = 600;  // ms: longer than a tap or a drum hit, short enough not to wait for
  let learning = -1;
  function startLearn(c) {
    if (learning >= 0 && learning !== c) showLearning(learning, false);
    learning = c; stats.learns++; dirty = true;
    showLearning(c, true);
    send({ t: "learn", n: c, on: true });
  }
  function stopLearn(c) {
    if (learning !== c) return;
    learning = -1; dirty = true;
    showLearning(c, false);
    send({ t: "learn", n: c, on: false });
  }
  function showLearning(c, on) {
    const p = padOf(c);
    if (p) p.classList.toggle("learning", on);
  }
  window.addEventListener("blur", function () { if (learning >= 0) stopLearn(learning); });

  const padsEl = document.getElementById("pads");
  const padOf = function (c) { return padsEl.querySelector('.pad[data-n="' + c + '"]'); };
  for (let c = 0; c < PADS; c++) {
    const p = document.createElement("div");
    p.className = "pad"; p.dataset.n = c; p.style.background = colour(c);
    p.innerHTML = KEYS[c].toUpperCase() + "<small>pad " + (c + 1) + " · <span>0</span></small><em></em>";
    let timer = null;
    const up = function () {
      clearTimeout(timer); timer = null;
      if (learning === c) stopLearn(c);
      else if (p.classList.contains("hit")) press(c, false, { t: "pad", n: c, down: false });
    };
    p.addEventListener("pointerdown", function (e) {
      if (e.target.closest("form")) return;  // the name editor
      e.preventDefault(); stats.pads++; press(c, true, { t: "pad", n: c, down: true });
      if (!LIVE) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        // Held: no longer a hit but a lesson. Letting go of the hit first ends a
        // gate or hold mode sound, which the mic would otherwise learn.
        timer = null;
        if (p.classList.contains("hit")) press(c, false, { t: "pad", n: c, down: false });
        startLearn(c);
      }, LONG_PRESS);
    });
    p.addEventListener("pointerup", up); p.addEventListener("pointerleave", up); p.addEventListener("pointercancel", up);
    p.addEventListener("contextmenu", function (e) { e.preventDefault(); });  // a touch long press
    p.addEventListener("dblclick", function () { if (LIVE) editPad(c); });
    padsEl.appendChild(p);
  }
  function updatePads() {
    for (const p of padsEl.children) {
      const c = +p.dataset.n;
      p.querySelector("span").textContent = sizes[c] || 0;
      p.querySelector("em").textContent = typeof names[c] === "string" ? names[c] : "";
      p.classList.toggle("full", (sizes[c] || 0) > 0);
    }
  }
  // Double-click a pad: a name field (Enter names the pad) and a forget button.
  function editPad(c) {
    const p = padOf(c);
    if (p.querySelector("form")) return;
    const f = document.createElement("form");
    f.className = "padedit";
    const input = document.createElement("input");
    input.maxLength = 40; input.placeholder = "name: kick…"; input.value = typeof names[c] === "string" ? names[c] : "";
    input.setAttribute("aria-label", "name of pad " + (c + 1));
    const forget = document.createElement("button");
    forget.type = "button"; forget.className = "forget"; forget.textContent = "forget";
    forget.title = "forget this pad's examples and name";
    f.append(input, forget);
    let closed = false;  // removing the focused field fires focusout, which closes again
    const close = function () { if (!closed) { closed = true; f.remove(); } };
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      const name = input.value.trim();
      if (name) send({ t: "name", n: c, name: name });
      close();
    });
    forget.addEventListener("click", function () { send({ t: "forget", n: c }); close(); });
    input.addEventListener("keydown", function (e) { e.stopPropagation(); if (e.key === "Escape") close(); });
    f.addEventListener("focusout", function (e) { if (!f.contains(e.relatedTarget)) close(); });
    p.appendChild(f);
    input.focus(); input.select();
  }

  // -- controls and status
  const $ = function (id) { return document.getElementById(id); };
  $("view").addEventListener("click", function () {
    document.body.classList.toggle("pads");
    $("view").textContent = document.body.classList.contains("pads") ? "map" : "pads";
    requestAnimationFrame(resize);
  });
  $("rec").addEventListener("click", function () {
    send({ t: "record", on: !(lastStatus && lastStatus.recording !== false) });
  });
  $("hold").addEventListener("click", function () { send({ t: "hold", on: !(lastStatus && lastStatus.hold) }); });
  $("loop-rec").addEventListener("click", function () {
    const l = lastStatus && lastStatus.loop;
    send({ t: "loop", action: l && l.state === "recording" ? "stop_record" : "record" });
  });
  $("loop-play").addEventListener("click", function () {
    const l = lastStatus && lastStatus.loop;
    send({ t: "loop", action: l && l.muted ? "play" : "mute" });
  });
  $("loop-clear").addEventListener("click", function () { send({ t: "loop", action: "clear" }); });
  $("stop").addEventListener("click", function () { send({ t: "stop" }); });

  function showStatus(s) {
    lastStatus = s;
    const cpu = s.cpu_p99 == null ? "–" : Math.round(100 * s.cpu_p99) + "%";
    const db = s.input_db == null ? "–∞" : Math.round(s.input_db);
    $("status").innerHTML = "snippets <b>" + s.snippets + "</b> · clusters " + (s.clusters == null ? groups.length : s.clusters) +
      " · <span class='" + (s.xruns ? "bad" : "") + "'>xruns " + s.xruns + "</span> · cpu " + cpu +
      " · voices " + (s.voices == null ? "–" : s.voices) + " · in " + db + " dB";
    $("rec").classList.toggle("on", s.recording !== false);
    $("hold").classList.toggle("armed", !!s.hold);
    const l = s.loop || {};
    $("loop-rec").classList.toggle("on", l.state === "recording" || !!l.writing);
    $("loop-play").classList.toggle("armed", l.state === "playing" && !l.muted);
  }

  function onJson(m) {
    if (m.t === "status") showStatus(m);
    else if (m.t === "wave") {
      if (m.first === peaksFirst + peaks.length || !peaks.length) {
        if (!peaks.length) peaksFirst = m.first;
        for (const p of m.peaks) peaks.push(p);
      } else if (m.first <= peaksFirst) { peaks = m.peaks.slice(); peaksFirst = m.first; }
      waveDirty = true;
    } else if (m.t === "names") {
      names = m.names && typeof m.names === "object" ? m.names : {}; dirty = true; updatePads();
    }
    else if (m.t === "hello") { peaks = []; peaksFirst = 0; names = {}; }
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = function () { connected = true; version = 0; };
    ws.onmessage = function (e) {
      const t = performance.timeOrigin + performance.now();
      if (typeof e.data === "string") { try { onJson(JSON.parse(e.data)); } catch (err) { console.error(err); } return; }
      const v = applyFrame(e.data);
      if (v) { arrivals.push([v, t]); if (arrivals.length > 20000) arrivals.splice(0, 10000); }
    };
    ws.onclose = function () {
      connected = false; $("status").textContent = "disconnected: reconnecting…";
      if (learning >= 0) { showLearning(learning, false); learning = -1; }
      setTimeout(connect, 1000);
    };
  }

  // -- offline: the map embedded by `livemappr map`
  let offline = null;
  function loadOffline(map) {
    const s = map.snippets || [];
    let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
    for (const p of s) { lx = Math.min(lx, p.x); ly = Math.min(ly, p.y); hx = Math.max(hx, p.x); hy = Math.max(hy, p.y); }
    const span = Math.max(hx - lx, hy - ly) || 1;
    n = 0; ensure(s.length);
    s.forEach(function (p, i) {
      tx[i] = dx[i] = (p.x - lx) / span; ty[i] = dy[i] = (p.y - ly) / span;
      cid[i] = Math.max(-1, Math.min(127, p.cluster)); born[i] = 0;
    });
    n = s.length; version = 1;
    names = {};
    for (const c of map.clusters || []) if (c && typeof c.name === "string" && c.name) names[c.id] = c.name;
    regroup(true);
    Object.assign(shown, fit);
    offline = s;
    const nc = (map.clusters || []).length;
    $("status").textContent = (C.title ? C.title + ": " : "") + n + " snippets · " + nc + " clusters · offline map";
  }
  function offlinePlay(i) {
    const s = offline && offline[i];
    if (!s || !s.source) return;
    const a = new Audio(encodeURI(s.source) + "#t=" + s.start + "," + s.end);
    a.play().catch(function () { /* a file the browser cannot play: the map still shows */ });
  }

  // The page's state for tests and the benchmark (read through the DevTools protocol).
  window.livemappr = {
    get n() { return n; }, get version() { return version; }, get connected() { return connected; },
    get status() { return lastStatus; }, get peaks() { return peaks.length; },
    arrivals: arrivals, stats: stats,
    screenOf: function (i) {
      const r = canvas.getBoundingClientRect();
      return [r.left + sx(dx[i]), r.top + sy(dy[i])];
    },
    settled: function () { return !moving && !viewMoving; },
    // The view as drawn: canvas size, the scale (CSS px per map unit) and the
    // label boxes of the last frame (CSS px from the canvas's top left).
    view: function () { return { W: W, H: H, scale: k, fit: Object.assign({}, fit), shown: Object.assign({}, shown) }; },
    labels: function () { return labelBoxes.map(function (b) { return Object.assign({}, b); }); },
    get names() { return Object.assign({}, names); },
    get learning() { return learning; },
    clusterOf: function (i) { return i >= 0 && i < n ? cid[i] : -1; },
  };

  window.addEventListener("resize", resize);
  // The canvas also changes size without the window (the status line wraps, the pads show).
  if (window.ResizeObserver) new ResizeObserver(function () {
    if (canvas.clientWidth !== W || canvas.clientHeight !== H) resize();
  }).observe(canvas);
  resize();
  if (LIVE) connect();
  else { document.body.classList.add("offline"); loadOffline(C.map || {}); }
  requestAnimationFrame(draw);
})();
