  // livemappr's map view, part 5: the live page's controls, status line and WebSocket.
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
    else if (m.t === "similar") onSimilar(m);
    else if (m.t === "hello") { peaks = []; peaksFirst = 0; names = {}; canNear = m.similar === true; }
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
