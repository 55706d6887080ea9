"""Accuracy evaluation: generate a fixed-seed batch, run the pipeline, compare with the ground truth.

    python -m scripts.evaluate --count 60 --seed 7 [--workers 2] [--json var/eval/report.json]
    python -m scripts.evaluate --count 60 --seed 7 --truth-only    # the rules alone, on the true field values
    python -m scripts.evaluate --dir var/eval --rerun --misses      # same input, pipeline again, list wrong fields

Prints document-type accuracy, per-field exact-match accuracy and character error rate (CER) per document
type, the status confusion matrix, expected-reason recall and the number of false accepts (result `complete`
while the truth is not). Exit code 1 when there is any false accept.

`--truth-only` skips OCR: it feeds the generator's true field values (confidence 1.0), the registrations and
the planted bad files to the rules engine and compares statuses. It measures the rules, not the reading. The
truth does not record blood sugar and cholesterol values, so they count as printed unless the scenario is
`missing_vitals` (that scenario is defined by leaving them out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

STATUSES = ("complete", "incomplete", "needs_review", "not_eligible")
console = Console()


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(v) -> str:
    return "" if v is None else " ".join(str(v).upper().split())


def compare(truth: dict, results: dict[str, dict]) -> dict:
    type_total = type_ok = 0
    field_stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, exact, edits, chars
    confusion: Counter = Counter()
    reason_hits = reason_total = 0
    false_accepts: list[str] = []
    misses: list[dict] = []
    for dossier_id, t in truth["dossiers"].items():
        r = results.get(dossier_id)
        got_status = r["status"] if r else "missing"
        confusion[(t["expected_status"], got_status)] += 1
        if got_status == "complete" and t["expected_status"] != "complete":
            false_accepts.append(dossier_id)
        if r:
            reasons = {c.get("reason") for c in r["checks"] if c["status"] != "pass"}
            for reason in t.get("expected_reasons", []):
                reason_total += 1
                reason_hits += reason in reasons
        docs = {(d["file"], d["page"]): d for d in (r["documents"] if r else [])}
        for page in t.get("pages", []):
            type_total += 1
            d = docs.get((page["file"], page["page"]))
            if d and d["type"] == page["type"]:
                type_ok += 1
            for name, want in page.get("fields", {}).items():
                got = d["fields"].get(name) if d and d["type"] == page["type"] else None
                s = field_stats[(page["type"], name)]
                s[0] += 1
                s[1] += norm(got) == norm(want)
                if norm(got) != norm(want):
                    misses.append({"dossier": dossier_id, "file": page["file"], "variant": page.get("variant"),
                                   "field": f"{page['type']}.{name}", "want": norm(want), "got": norm(got),
                                   "conf": (d["confidence"].get(name) if d else None)})
                s[2] += levenshtein(norm(got), norm(want))
                s[3] += max(1, len(norm(want)))
    return {
        "type_accuracy": type_ok / type_total if type_total else None,
        "pages": type_total,
        "fields": {f"{k[0]}.{k[1]}": {"n": v[0], "exact": v[1] / v[0], "cer": v[2] / v[3]}
                   for k, v in sorted(field_stats.items())},
        "confusion": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())},
        "reason_recall": reason_hits / reason_total if reason_total else None,
        "false_accepts": false_accepts,
        "misses": misses,
        "dossiers": len(truth["dossiers"]),
    }


def truth_only_results(root: Path) -> dict[str, dict]:
    """Results of the rules engine on the true field values (no OCR), keyed by dossier id."""
    from config.rules import load_rules
    from models.contract import DocumentResult, DossierResult, FileError
    from pipeline import intake
    from pipeline.checks import dossier_niks_of, run_checks
    from pipeline.decide import decide
    from pipeline.errors import RegistrationInvalid, RegistrationMissing
    from pipeline.regions import Regions

    truth = json.loads((root / "truth.json").read_text())
    rules, regions = load_rules(), Regions.load()
    prepared = {}
    for dossier_id, t in truth["dossiers"].items():
        reg_file = root / "input" / dossier_id / intake.REGISTRATION_FILE
        errors = [FileError(file=b["file"], error=b["error"]) for b in t.get("bad_files", [])]
        try:
            reg = intake.read_registration(reg_file.read_bytes() if reg_file.exists() else None,
                                           folder_name=dossier_id)
        except (RegistrationMissing, RegistrationInvalid) as e:
            reg = None
            errors.append(FileError(file=intake.REGISTRATION_FILE, error=e.code))
        docs = []
        for page in t.get("pages", []):
            fields = dict(page["fields"])
            if page["type"] == "surat_sehat" and t["scenario"] != "missing_vitals":
                fields.setdefault("gula_darah", "tercetak")
                fields.setdefault("kolesterol", "tercetak")
            docs.append(DocumentResult(file=page["file"], page=page["page"], type=page["type"], fields=fields,
                                       confidence=dict.fromkeys(fields, 1.0)))
        prepared[dossier_id] = (reg, docs, errors)
    holders: dict[str, set[str]] = defaultdict(set)
    for dossier_id, (reg, docs, _) in prepared.items():
        for nik in dossier_niks_of(reg, docs):
            holders[nik].add(dossier_id)
    results = {}
    for dossier_id, (reg, docs, errors) in prepared.items():
        others = sorted({o for nik in dossier_niks_of(reg, docs) for o in holders[nik]} - {dossier_id})
        checks = run_checks(reg, docs, errors, rules=rules, regions=regions,
                            duplicates={dossier_id: others} if others else None)
        status, missing = decide(checks, rules)
        results[dossier_id] = DossierResult(
            dossier_id=dossier_id, status=status, missing_documents=missing, documents=docs, checks=checks,
            errors=errors, pipeline_version="truth-only",
        ).model_dump(mode="json")
    return results


def print_report(rep: dict) -> None:
    console.print(f"dossiers: {rep['dossiers']}, pages with truth: {rep['pages']}")
    console.print(f"document type accuracy: {rep['type_accuracy']:.4f}")
    t = Table(title="per-field accuracy")
    for col in ("field", "n", "exact", "CER"):
        t.add_column(col, justify="right" if col != "field" else "left")
    for name, s in rep["fields"].items():
        t.add_row(name, str(s["n"]), f"{s['exact']:.3f}", f"{s['cer']:.3f}")
    console.print(t)
    c = Table(title="status confusion (rows: truth, columns: result)")
    c.add_column("truth")
    cols = [*STATUSES, "missing"]
    for col in cols:
        c.add_column(col, justify="right")
    conf = rep["confusion"]
    for a in STATUSES:
        c.add_row(a, *[str(conf.get(f"{a}->{b}", 0)) for b in cols])
    console.print(c)
    if rep["reason_recall"] is not None:
        console.print(f"expected-reason recall: {rep['reason_recall']:.3f}")
    console.print(f"false accepts: {len(rep['false_accepts'])} {rep['false_accepts']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=Path("var/eval"))
    ap.add_argument("--reuse", action="store_true", help="do not regenerate or re-run; compare what is there")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--truth-only", action="store_true", help="rules on the true field values, no OCR")
    ap.add_argument("--layouts", default=None, help="passed to the generator: old, new or all (its default)")
    ap.add_argument("--rerun", action="store_true", help="keep the generated input, run the pipeline again")
    ap.add_argument("--misses", action="store_true", help="list every wrong field (generated samples only)")
    args = ap.parse_args(argv)

    out = args.dir / "out"
    if not args.reuse and not args.rerun:
        shutil.rmtree(args.dir, ignore_errors=True)
        layouts = ["--layouts", args.layouts] if args.layouts else []
        subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(args.dir),
                        "--count", str(args.count), "--seed", str(args.seed), *layouts], check=True)
    if not args.reuse and not args.truth_only:
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "berkas", "run", str(args.dir / "input"), "--out", str(out),
                        "--workers", str(args.workers)], check=False,
                       env=dict(os.environ, BERKAS_DEV_MODE="1"))  # generated data: the development key will do
    truth = json.loads((args.dir / "truth.json").read_text())
    if args.truth_only:
        results = truth_only_results(args.dir)
    else:
        results = {}
        for p in out.glob("*/result.json"):
            data = json.loads(p.read_text())
            results[data["dossier_id"]] = data
    rep = compare(truth, results)
    print_report(rep)
    if args.misses:
        for m in sorted(rep["misses"], key=lambda m: (m["field"], m["variant"] or "")):
            console.print(f"{m['field']:<26} {m['variant'] or '-':<12} {m['dossier']} {m['file']}: "
                          f"want {m['want']!r} got {m['got']!r} conf {m['conf']}", highlight=False, markup=False)
    if args.json:
        args.json.write_text(json.dumps(rep, indent=2))
    return 1 if rep["false_accepts"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
