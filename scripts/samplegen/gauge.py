"""Generalisation gauge: accuracy per capture form, per layout family, per degradation, and on handwriting.

    python -m scripts.evaluate --dir DIR --rerun --misses --json DIR/report.json
    python -m scripts.samplegen.gauge --dir DIR --report DIR/report.json [--fields nama,tanggal_lahir]

scripts.evaluate uses the breakdowns below for its report (`by_capture`, `by_family`, `handwriting`); the command
line reads DIR/truth.json and the evaluation report (its `misses` list) and prints, for every document field, the
exact-match accuracy per `layout` and per `degradations` entry of the truth pages, so a drop can be traced to
a design or a kind of damage rather than to the batch as a whole. Output only; it changes nothing.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

CAPTURES = ("flatbed", "low_dpi", "phone_photo", "photocopy", "pdf", "rotated")
DAMAGED_CAPTURES = ("low_dpi", "phone_photo", "photocopy")
# older batches (before field mode) record only the rendering: their capture form follows from it
CAPTURE_OF_VARIANT = {"clean_scan": "flatbed", "flatbed_scan": "flatbed", "low_dpi_scan": "low_dpi",
                      "rotated_scan": "rotated", "phone_photo": "phone_photo", "image_pdf": "pdf", "text_pdf": "pdf",
                      "photocopy": "photocopy"}
KEY_FIELDS = ("ktp.nik", "ktp.nama", "ktp.tanggal_lahir", "ijazah.nama", "ijazah.tanggal_lahir", "ijazah.jenjang",
              "surat_sehat.nama", "surat_sehat.kesimpulan", "surat_sehat.tanggal_surat")
FIELD_UNREADABLE = "FIELD_UNREADABLE"


def capture_of(page: dict) -> str:
    """The page's capture form: recorded by field mode, else derived from the rendering and its damage."""
    if page.get("capture"):
        return page["capture"]
    degs = page.get("degradations", [])
    form = CAPTURE_OF_VARIANT.get(page.get("variant", ""), "flatbed")
    if form == "flatbed" and "bw_photocopy" in degs:
        return "photocopy"
    if form == "flatbed" and "dpi100" in degs:
        return "low_dpi"
    return form


def is_damaged(page: dict) -> bool:
    """Field mode records it; for older batches: a damaged form or any rendering degradation."""
    if "damaged" in page:
        return bool(page["damaged"])
    rendered = [d for d in page.get("degradations", []) if d != "stamp_over_value"]
    return capture_of(page) in DAMAGED_CAPTURES or bool(rendered)


def group_table(rows: Iterable[dict], key: Callable[[dict], str]) -> dict[str, dict]:
    """Per group of page rows (evaluate.compare's `rows`): pages, document-type accuracy, all-field exactness
    and the key fields' exactness."""
    acc: dict[str, dict] = defaultdict(lambda: {"pages": 0, "type_ok": 0, "fields": 0, "exact": 0,
                                                "key": defaultdict(lambda: [0, 0])})
    for r in rows:
        g = acc[key(r)]
        g["pages"] += 1
        g["type_ok"] += r["type_ok"]
        for name, ok in r["fields"].items():
            g["fields"] += 1
            g["exact"] += ok
            full = f"{r['type']}.{name}"
            if full in KEY_FIELDS:
                g["key"][full][0] += 1
                g["key"][full][1] += ok
    out = {}
    for name in sorted(acc):
        g = acc[name]
        out[name] = {"pages": g["pages"], "type_accuracy": g["type_ok"] / g["pages"], "fields": g["fields"],
                     "field_exact": g["exact"] / g["fields"] if g["fields"] else None,
                     "key": {k: {"n": n, "exact": ok / n} for k, (n, ok) in sorted(g["key"].items())}}
    return out


def _flagged_unreadable(result: dict | None, page: dict, name: str) -> bool:
    """A check sent this page's field to review as FIELD_UNREADABLE (its evidence names the field)."""
    for c in (result or {}).get("checks", []):
        if c.get("status") == "pass" or c.get("reason") != FIELD_UNREADABLE:
            continue
        for e in c.get("evidence", []):
            if e.get("document") == page["type"] and e.get("field") == name and e.get("file") in (None, page["file"]):
                return True
    return False


def handwriting(truth: dict, results: dict[str, dict], norm: Callable[[object], str],
                min_conf: float) -> dict[str, dict[str, int]]:
    """Outcomes of handwritten fields, for legible and illegible ones: `right`, `empty_unreadable` (empty and
    flagged FIELD_UNREADABLE: the wanted answer for an illegible field), `empty_unflagged`, `wrong` (a guess)
    and `wrong_low_conf` (the guesses below the review threshold, a subset of `wrong`)."""
    out = {k: dict.fromkeys(("n", "right", "empty_unreadable", "empty_unflagged", "wrong", "wrong_low_conf"), 0)
           for k in ("legible", "illegible")}
    for dossier_id, t in truth["dossiers"].items():
        r = results.get(dossier_id)
        docs = {(d["file"], d["page"]): d for d in (r["documents"] if r else [])}
        for page in t.get("pages", []):
            d = docs.get((page["file"], page["page"]))
            if d is not None and d["type"] != page["type"]:
                d = None
            for name, mark in (page.get("field_marks") or {}).items():
                if not mark.get("handwritten"):
                    continue
                o = out["legible" if mark.get("legible", True) else "illegible"]
                o["n"] += 1
                got = norm(d["fields"].get(name)) if d else ""
                if got == norm(page["fields"].get(name)):
                    o["right"] += 1
                elif not got:
                    o["empty_unreadable" if _flagged_unreadable(r, page, name) else "empty_unflagged"] += 1
                else:
                    o["wrong"] += 1
                    conf = d["confidence"].get(name) if d else None
                    o["wrong_low_conf"] += conf is not None and conf < min_conf
    return out


def tally(truth: dict, misses: list[dict], *, undamaged: bool = False) -> dict[str, dict[str, list[int]]]:
    """{group: {doc_type.field: [n, wrong]}} with groups `layout:<family>` and `damage:<name>`.

    `undamaged` keeps only pages without rendering damage: the effect of the layout alone.
    """
    wrong = {(m["dossier"], m["file"], m["field"]) for m in misses}
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for dossier_id, d in truth["dossiers"].items():
        for page in d.get("pages", []):
            if page["type"] == "unknown":
                continue
            degs = page.get("degradations", [])
            groups = [f"layout:{page.get('layout', '?')}", f"capture:{capture_of(page)}"] + [
                f"damage:{g}" for g in degs]
            rendered = [g for g in degs if g != "stamp_over_value"]  # the stamp is drawn by the layout
            if undamaged and (rendered or is_damaged(page)):
                continue
            groups.append("damage:(any rendering)" if rendered else "damage:(no rendering)")
            for name in page["fields"]:
                key = f"{page['type']}.{name}"
                bad = (dossier_id, page["file"], key) in wrong
                for g in groups:
                    out[g][key][0] += 1
                    out[g][key][1] += bad
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="gauge", description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, required=True, help="batch folder holding truth.json")
    ap.add_argument("--report", type=Path, required=True, help="JSON written by scripts.evaluate --json")
    ap.add_argument("--fields", default="nik,nama,tanggal_lahir,tekanan_darah,kesimpulan,tanggal_surat,jenjang",
                    help="field names to show (any document type)")
    ap.add_argument("--undamaged", action="store_true", help="only pages without rendering damage")
    args = ap.parse_args(argv)
    truth = json.loads((args.dir / "truth.json").read_text(encoding="utf-8"))
    report = json.loads(args.report.read_text(encoding="utf-8"))
    if not isinstance(report.get("misses"), list):
        print(f"gauge: {args.report} holds no per-field misses ({report.get('misses')}); nothing to break down")
        return 2
    table = tally(truth, report["misses"], undamaged=args.undamaged)
    wanted = set(args.fields.split(","))
    for group in sorted(table):
        cells = [f"{k} {n - w}/{n}" for k, (n, w) in sorted(table[group].items()) if k.split(".", 1)[1] in wanted]
        if cells:
            print(f"{group:<28} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
