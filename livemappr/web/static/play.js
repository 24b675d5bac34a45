  // livemappr's map view, part 3: playing from the map, keys and pads (a press).
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
    if (hover >= 0) askNearLive(hover);  // its nearest sounds light up (neighbours.js)
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
