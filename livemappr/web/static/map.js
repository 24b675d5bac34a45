  // livemappr's map view, part 1 of 7: the map's points and the view onto them.
  // The page's script is these parts (map, draw, play, pads, live, neighbours,
  // main) in that order, inside one function (livemappr/web/page.py joins them):
  // one scope, each part a job. Runs in the browser: live (the map over a
  // WebSocket from the engine, every action back through the engine's trigger
  // path) or offline (a map.json embedded by `livemappr map`, sounds from their
  // files). Frame format: livemappr/web/frames.py. Messages: livemappr/web/actions.py.
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
  const stats = { plays: 0, keys: 0, pads: 0, frames: 0, resyncs: 0, learns: 0, similar: 0 };
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
