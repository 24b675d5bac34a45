  // livemappr's map view, part 4: teaching pads, the 16 pads and their names.
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
