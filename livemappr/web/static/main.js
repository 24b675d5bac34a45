  // livemappr's map view, part 7: the offline map, the page's state for tests, start-up.
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
    // The sounds lit up by the last click: {of, idx, library}, or null once they have faded.
    get near() { return near.of < 0 ? null : { of: near.of, idx: near.idx.slice(), library: near.library.slice() }; },
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
