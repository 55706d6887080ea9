// Draw the OCR box of the field (or evidence) under the cursor on its page image.
// Boxes are [x, y, w, h] in page pixels; the figure carries the page size (data-w, data-h).
(function () {
  "use strict";
  function show(row) {
    var figure = document.getElementById("page-" + row.dataset.doc);
    if (!figure || !figure.dataset.w) { return; }
    var img = figure.querySelector("img");
    var box = figure.querySelector(".box");
    var b = row.dataset.box.split(",").map(Number);
    var scale = img.clientWidth / Number(figure.dataset.w);
    box.style.left = (b[0] * scale) + "px";
    box.style.top = (b[1] * scale) + "px";
    box.style.width = Math.max(4, b[2] * scale) + "px";
    box.style.height = Math.max(4, b[3] * scale) + "px";
    box.hidden = false;
    row.classList.add("on");
  }
  function hide(row) {
    var figure = document.getElementById("page-" + row.dataset.doc);
    if (figure && figure.querySelector(".box")) { figure.querySelector(".box").hidden = true; }
    row.classList.remove("on");
  }
  document.querySelectorAll("[data-box]").forEach(function (row) {
    row.addEventListener("mouseenter", function () { show(row); });
    row.addEventListener("mouseleave", function () { hide(row); });
    row.addEventListener("focus", function () { show(row); });
    row.addEventListener("blur", function () { hide(row); });
  });
})();
