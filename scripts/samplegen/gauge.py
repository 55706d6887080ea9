"""Generalisation gauge: field accuracy per layout family and per extra degradation.

    python -m scripts.evaluate --dir DIR --rerun --misses --json DIR/report.json
    python -m scripts.samplegen.gauge --dir DIR --report DIR/report.json [--fields nama,tanggal_lahir]

Reads DIR/truth.json and the evaluation report (its `misses` list) and prints, for every document field, the
exact-match accuracy per `layout` and per `degradations` entry of the truth pages, so a drop can be traced to
a design or a kind of damage rather than to the batch as a whole. Output only; it changes nothing.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


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
            groups = [f"layout:{page.get('layout', '?')}"] + [f"damage:{g}" for g in degs]
            rendered = [g for g in degs if g != "stamp_over_value"]  # the stamp is drawn by the layout
            if undamaged and rendered:
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
    table = tally(truth, report.get("misses", []), undamaged=args.undamaged)
    wanted = set(args.fields.split(","))
    for group in sorted(table):
        cells = [f"{k} {n - w}/{n}" for k, (n, w) in sorted(table[group].items()) if k.split(".", 1)[1] in wanted]
        if cells:
            print(f"{group:<28} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
