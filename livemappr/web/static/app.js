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
  let groups = [], sizes = [], extentX = 1, extentY = 1;
  let moving = false, dirty = true, waveDirty = true;
  let hover = -1;
  const flashes = new Map(), heldClusters = new Map(), arrivals = [];
  const stats = { plays: 0, keys: 0, pads: 0, frames: 0, resyncs: 0 };
  let lastStatus = null, ws = null, connected = false;

  function ensure(m) {
    if (m <= cap) return;
    const c = Math.max(m, cap * 2, 256);
    const f = function (old, T) { const a = new T(c); if (old) a.set(old.subarray(0, n)); return a; };
    tx = f(tx, Float32Array); ty = f(ty, Float32Array); dx = f(dx, Float32Array); dy = f(dy, Float32Array);
    cid = f(cid, Int8Array); born = f(born, Float64Array);
    cap = c;
  }

  function regroup() {
    const by = new Map();
    extentX = 0; extentY = 0;
    for (let i = 0; i < n; i++) {
      const c = cid[i];
      if (!by.has(c)) by.set(c, []);
      by.get(c).push(i);
      if (tx[i] > extentX) extentX = tx[i];
      if (ty[i] > extentY) extentY = ty[i];
    }
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
      else { dx[i] = 0.5; dy[i] = 0.5; born[i] = now; }
    }
    n = N; version = ver; stats.frames++;
    regroup();
    moving = true; dirty = true;
    return ver;
  }

  // -- drawing
  const canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
  const wave = document.getElementById("wave"), wctx = wave.getContext("2d");
  let W = 0, H = 0, side = 1, ox = 0, oy = 0, last = performance.now();

  function resize() {
    const r = window.devicePixelRatio || 1;
    for (const [cv, cx] of [[canvas, ctx], [wave, wctx]]) {
      const w = cv.clientWidth, h = cv.clientHeight;
      cv.width = Math.max(1, Math.round(w * r)); cv.height = Math.max(1, Math.round(h * r));
      cx.setTransform(r, 0, 0, r, 0, 0);
    }
    W = canvas.clientWidth; H = canvas.clientHeight;
    side = Math.max(1, Math.min(W, H) - 36);
    ox = (W - side) / 2; oy = (H - side) / 2;
    dirty = waveDirty = true;
  }
  // Unit coordinates span 0..1 on the map's longer side: centre the shorter one.
  const sx = function (x) { return ox + (x + (1 - extentX) / 2) * side; };
  const sy = function (y) { return oy + (1 - y - (1 - extentY) / 2) * side; };

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

  function draw(t) {
    requestAnimationFrame(draw);
    const dt = Math.min(0.1, (t - last) / 1000); last = t;
    if (waveDirty) drawWave();
    if (!moving && !dirty && flashes.size === 0 && heldClusters.size === 0) return;
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
    ctx.fillStyle = BG; ctx.fillRect(0, 0, W, H);
    ctx.font = "600 15px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const labels = [];
    for (const g of groups) {
      if (g.c < 0 || g.idx.length === 0) continue;
      const h = g.hull.map(function (i) { return [sx(dx[i]), sy(dy[i])]; });
      let cx = 0, cy = 0;
      for (const q of h) { cx += q[0]; cy += q[1]; }
      cx /= h.length; cy /= h.length;
      if (h.length >= 3) {
        ctx.beginPath(); ctx.moveTo(h[0][0], h[0][1]);
        for (const q of h) ctx.lineTo(q[0], q[1]);
        ctx.closePath();
        ctx.fillStyle = heldClusters.has(g.c) ? "rgba(255,255,255,0.18)" : fills[g.c % fills.length];
        ctx.fill();
        ctx.strokeStyle = colour(g.c); ctx.globalAlpha = heldClusters.has(g.c) ? 1 : 0.55; ctx.lineWidth = 1.5;
        ctx.stroke(); ctx.globalAlpha = 1;
      }
      labels.push([g.c, cx, cy]);
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
    for (const [c, x, y] of labels) {
      const text = KEYS[c] ? KEYS[c].toUpperCase() + (c < PADS ? " " + (c + 1) : "") : String(c);
      ctx.lineWidth = 4; ctx.strokeStyle = BG; ctx.strokeText(text, x, y);
      ctx.fillStyle = "#fff"; ctx.fillText(text, x, y);
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
  canvas.addEventListener("pointermove", function (e) { if (e.pointerType === "mouse" || pressed) pointAt(e, false); });
  canvas.addEventListener("pointerdown", function (e) {
    pressed = true; canvas.setPointerCapture(e.pointerId); pointAt(e, true);
  });
  for (const ev of ["pointerup", "pointercancel"]) canvas.addEventListener(ev, function () { pressed = false; });
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

  const padsEl = document.getElementById("pads");
  for (let c = 0; c < PADS; c++) {
    const p = document.createElement("div");
    p.className = "pad"; p.dataset.n = c; p.style.background = colour(c);
    p.innerHTML = KEYS[c].toUpperCase() + "<small>pad " + (c + 1) + " · <span>0</span></small>";
    const up = function () { if (p.classList.contains("hit")) press(c, false, { t: "pad", n: c, down: false }); };
    p.addEventListener("pointerdown", function (e) {
      e.preventDefault(); stats.pads++; press(c, true, { t: "pad", n: c, down: true });
    });
    p.addEventListener("pointerup", up); p.addEventListener("pointerleave", up); p.addEventListener("pointercancel", up);
    padsEl.appendChild(p);
  }
  function updatePads() {
    for (const p of padsEl.children) {
      const c = +p.dataset.n;
      p.querySelector("span").textContent = sizes[c] || 0;
      p.classList.toggle("full", (sizes[c] || 0) > 0);
    }
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
    } else if (m.t === "hello") { peaks = []; peaksFirst = 0; }
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
    regroup();
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
    settled: function () { return !moving; },
  };

  window.addEventListener("resize", resize);
  resize();
  if (LIVE) connect();
  else { document.body.classList.add("offline"); loadOffline(C.map || {}); }
  requestAnimationFrame(draw);
})();
