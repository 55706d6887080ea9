// Keyboard shortcuts of the queue: "/" search by name, j/k move between rows, Enter opens, n claims the next.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
  var at = -1;
  function typing(e) {
    var t = e.target.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || e.target.isContentEditable;
  }
  function select(i) {
    if (!rows.length) { return; }
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r) { r.classList.remove("on"); });
    rows[at].classList.add("on");
    rows[at].querySelector("a").focus();
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "/") { e.preventDefault(); document.getElementById("cari-nama").focus(); }
    else if (e.key === "j") { select(at + 1); }
    else if (e.key === "k") { select(at - 1); }
    else if (e.key === "n") { document.querySelector("form[action='/antrean/berikutnya']").submit(); }
  });
})();
