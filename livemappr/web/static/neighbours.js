  // livemappr's map view, part 6: a click on a sound lights up its nearest sounds.
  // Live, the engine searches (the feature vectors the map is made of: the
  // sounds most like it, wherever t-SNE put them; session/neighbours.py) and
  // answers this page alone; with `live --library` the library's nearest
  // sounds are listed beside the map. Offline, the neighbours `livemappr map`
  // embedded, else the sounds nearest it on the map. They stay lit NEAR_MS.
  const NEAR_N = 8, NEAR_MS = 6000;
  let near = { of: -1, idx: [], library: [], at: 0 };
  let canNear = false;  // live: whether the engine answers (its hello says)
  const nearList = document.getElementById("near");

  function askNear(i) {
    if (i < 0 || i >= n || (LIVE && !canNear)) return;
    stats.similar++;
    if (LIVE) send({ t: "similar", i: i, n: NEAR_N });
    else showNear(i, offlineNear(i), []);
  }

  function showNear(i, idx, library) {
    near = { of: i, idx: idx.filter(function (j) { return j >= 0 && j < n && j !== i; }).slice(0, NEAR_N),
             library: library.slice(0, NEAR_N), at: performance.now() };
    dirty = true;
    nearList.textContent = "";
    for (const [name, d] of near.library) {
      const li = document.createElement("li");
      li.textContent = name.split("/").pop();
      li.title = name + " (distance " + d + ")";
      nearList.appendChild(li);
    }
    nearList.classList.toggle("shown", near.library.length > 0);
  }

  // The answer to a click (live): ignored unless it is about the last sound clicked.
  function onSimilar(m) {
    if (!Array.isArray(m.near) || m.i !== pendingNear) return;
    showNear(m.i, m.near.filter(Number.isInteger), Array.isArray(m.library) ? m.library : []);
  }
  let pendingNear = -1;
  function askNearLive(i) { pendingNear = i; askNear(i); }

  function offlineNear(i) {
    const given = C.near && C.near[i];
    if (Array.isArray(given)) return given;
    const d = [];
    for (let j = 0; j < n; j++) {
      if (j !== i) d.push([(tx[j] - tx[i]) * (tx[j] - tx[i]) + (ty[j] - ty[i]) * (ty[j] - ty[i]), j]);
    }
    d.sort(function (a, b) { return a[0] - b[0]; });
    return d.slice(0, NEAR_N).map(function (e) { return e[1]; });
  }

  // Drawn over the points: a line from the sound clicked to each neighbour and a
  // ring round it, brighter the nearer; they fade out in the last fifth of NEAR_MS.
  function drawNear(now) {
    if (near.of < 0) return;
    const age = (now - near.at) / NEAR_MS;
    if (age >= 1 || near.of >= n) {
      near.of = -1; nearList.classList.remove("shown"); dirty = true;
      return;
    }
    const fade = age < 0.8 ? 1 : (1 - age) / 0.2;
    const ox = sx(dx[near.of]), oy = sy(dy[near.of]);
    ctx.lineWidth = 1.5;
    near.idx.forEach(function (j, r) {
      const a = fade * (1 - 0.6 * r / Math.max(1, near.idx.length));
      const x = sx(dx[j]), y = sy(dy[j]);
      ctx.strokeStyle = "rgba(255,220,110," + (0.35 * a) + ")";
      ctx.beginPath(); ctx.moveTo(ox, oy); ctx.lineTo(x, y); ctx.stroke();
      ctx.strokeStyle = "rgba(255,220,110," + a + ")";
      ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI); ctx.stroke();
    });
    ctx.strokeStyle = "rgba(255,255,255," + fade + ")"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(ox, oy, 9, 0, 2 * Math.PI); ctx.stroke();
  }
