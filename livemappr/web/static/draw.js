  // livemappr's map view, part 2: drawing the map, its cluster labels and the waveform strip.
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
    if (!moving && !viewMoving && !dirty && flashes.size === 0 && heldClusters.size === 0 && near.of < 0) return;
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
    drawNear(now);
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
