// The dossier page's images: the OCR box of the field (or evidence) under the cursor is drawn AROUND its value
// (a frame a few pixels outside the box, never over the text); clicking an evidence line or pressing Enter on
// it scrolls its page image into view first; clicking an image toggles zoom (natural size, scrollable).
// Boxes are [x, y, w, h] in page pixels; the figure carries the page size (data-w, data-h).
(function () {
  "use strict";
  var PAD = 5; // px between the value and the frame drawn around it
  function parts(row) {
    var figure = document.getElementById("page-" + row.dataset.doc);
    if (!figure || !figure.dataset.w) { return null; }
    return { figure: figure, img: figure.querySelector("img"), box: figure.querySelector(".box") };
  }
  function show(row) {
    var p = parts(row);
    if (!p) { return; }
    var b = row.dataset.box.split(",").map(Number);
    var scale = p.img.clientWidth / Number(p.figure.dataset.w);
    p.box.style.left = (p.img.offsetLeft + b[0] * scale - PAD) + "px";
    p.box.style.top = (p.img.offsetTop + b[1] * scale - PAD) + "px";
    p.box.style.width = (Math.max(4, b[2] * scale) + 2 * PAD) + "px";
    p.box.style.height = (Math.max(4, b[3] * scale) + 2 * PAD) + "px";
    p.box.hidden = false;
    row.classList.add("on");
    return p;
  }
  var pinned = null; // an evidence line clicked: its frame stays after the cursor leaves (the page scrolled)
  function hide(row) {
    if (row === pinned) { return; }
    var p = parts(row);
    if (p && p.box) { p.box.hidden = true; }
    row.classList.remove("on");
  }
  function offscreen(el) {
    var r = el.getBoundingClientRect();
    return r.bottom < 0 || r.top > window.innerHeight;
  }
  function reveal(row) {
    var p = parts(row);
    if (!p) { return; }
    var before = pinned;
    pinned = row;
    if (before && before !== row) { hide(before); }
    if (offscreen(p.img) && !p.figure.contains(row)) {
      p.figure.scrollIntoView({ block: "center" });
    }
    show(row);
    var b = p.box;
    if (p.figure.classList.contains("zoomed")) { b.scrollIntoView({ block: "center", inline: "center" }); }
  }
  document.querySelectorAll("[data-box]").forEach(function (row) {
    row.addEventListener("mouseenter", function () {
      if (pinned && pinned !== row) { var old = pinned; pinned = null; hide(old); }
      show(row);
    });
    row.addEventListener("mouseleave", function () { hide(row); });
    row.addEventListener("focus", function () { show(row); });
    row.addEventListener("blur", function () { hide(row); });
    if (!row.closest("table.fields")) { // evidence and uncertain readings: their image is elsewhere on the page
      row.addEventListener("click", function (e) {
        if (e.target.closest("a, button, input, summary")) { return; }
        reveal(row);
      });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter") { reveal(row); } });
    }
  });
  document.querySelectorAll("figure.page img").forEach(function (img) {
    img.addEventListener("click", function () {
      img.closest("figure").classList.toggle("zoomed");
    });
  });
  // the straightened card/sheet: asked for once the page is shown, kept hidden when none was detected (404)
  document.querySelectorAll("figure.card-view img[data-src]").forEach(function (img) {
    var figure = img.closest("figure");
    img.addEventListener("load", function () {
      figure.hidden = false;
      figure.parentNode.classList.add("has-card");
    });
    img.src = img.dataset.src;
  });
  // while a re-processing waits: ask every 10 s whether a new result arrived, then offer to reload (no reload
  // by itself: a correction being typed is never lost)
  var waiting = document.getElementById("menunggu");
  if (waiting && window.fetch) {
    var timer = setInterval(function () {
      fetch(waiting.dataset.state, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.processed_at && s.processed_at !== waiting.dataset.processed) {
            waiting.querySelector(".fresh").hidden = false;
            clearInterval(timer);
          }
        }).catch(function () { clearInterval(timer); });
    }, 10000);
  }
})();
