"""Accuracy evaluation: generate a fixed-seed batch, run the pipeline, compare with the ground truth.

    python -m scripts.evaluate --count 60 --seed 1201                 # field mode (the default layouts)
    python -m scripts.evaluate --count 60 --seed 7 --layouts all      # the older generator's mix
    python -m scripts.evaluate --count 60 --seed 7 --truth-only       # the rules alone, on the true field values
    python -m scripts.evaluate --dir var/eval --rerun --misses        # same input, pipeline again, list wrong fields
    python -m scripts.evaluate --diff BEFORE.json AFTER.json          # headline figures of two reports side by side

Prints document-type accuracy, per-field exact-match accuracy and character error rate (CER) per document
type, the status confusion matrix, expected-reason recall, the straight-through rate (truly complete dossiers
that end `complete`), the false accepts (result `complete` while the truth is not), and breakdowns per capture
form (flatbed, low_dpi, phone_photo, photocopy, pdf, rotated), per layout family and for handwritten fields
(right / empty and flagged FIELD_UNREADABLE / empty, not flagged / a wrong guess). The JSON report goes to
DIR/report.json (or --json) so that two runs can be compared with --diff. Exit code 1 when there is any false
accept.

The frozen held-out seed of field mode (HELD_OUT, docs/samples.md) is for quoting, not tuning: its report and
output carry aggregate figures only, never the per-field misses.

`--truth-only` skips OCR: it feeds the generator's true field values (confidence 1.0), the registrations and
the planted bad files to the rules engine and compares statuses. It measures the rules, not the reading. The
truth does not record blood sugar and cholesterol values, so they count as printed unless the scenario is
`missing_vitals` (that scenario is defined by leaving them out).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scripts.samplegen import gauge

STATUSES = ("complete", "incomplete", "needs_review", "not_eligible")
HELD_OUT = {"field": 1299}  # layouts -> the frozen held-out seed (docs/samples.md): nobody tunes on it
console = Console(width=None if sys.stdout.isatty() else 170)  # files and pipes: wide tables, not cut


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


def held_out(truth: dict) -> bool:
    return HELD_OUT.get(truth.get("layouts", "")) == truth.get("seed")


def compare(truth: dict, results: dict[str, dict], *, min_conf: float = 0.6) -> dict:
    type_total = type_ok = 0
    field_stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, exact, edits, chars
    confusion: Counter = Counter()
    reason_hits = reason_total = 0
    false_accepts: list[str] = []
    misses: list[dict] = []
    rows: list[dict] = []  # one per truth page, for the breakdowns
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
            ok_type = bool(d and d["type"] == page["type"])
            type_ok += ok_type
            row = {"type": page["type"], "layout": page.get("layout", page["type"]),
                   "capture": gauge.capture_of(page), "damaged": gauge.is_damaged(page), "type_ok": ok_type,
                   "fields": {}}
            for name, want in page.get("fields", {}).items():
                got = d["fields"].get(name) if d is not None and ok_type else None
                s = field_stats[(page["type"], name)]
                s[0] += 1
                s[1] += norm(got) == norm(want)
                row["fields"][name] = norm(got) == norm(want)
                if norm(got) != norm(want):
                    misses.append({"dossier": dossier_id, "file": page["file"], "variant": page.get("variant"),
                                   "field": f"{page['type']}.{name}", "want": norm(want), "got": norm(got),
                                   "conf": (d["confidence"].get(name) if d else None)})
                s[2] += levenshtein(norm(got), norm(want))
                s[3] += max(1, len(norm(want)))
            rows.append(row)
    complete = sum(n for (a, _), n in confusion.items() if a == "complete")
    straight = confusion.get(("complete", "complete"), 0)
    damaged = sum(r["damaged"] for r in rows)
    return {
        "type_accuracy": type_ok / type_total if type_total else None,
        "pages": type_total,
        "fields": {f"{k[0]}.{k[1]}": {"n": v[0], "exact": v[1] / v[0], "cer": v[2] / v[3]}
                   for k, v in sorted(field_stats.items())},
        "confusion": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())},
        "reason_recall": reason_hits / reason_total if reason_total else None,
        "false_accepts": false_accepts,
        "false_accept_count": len(false_accepts),
        "straight_through": {"complete_in_truth": complete, "ended_complete": straight,
                             "rate": straight / complete if complete else None},
        "damaged_pages": {"n": damaged, "share": damaged / len(rows) if rows else None},
        "by_capture": gauge.group_table(rows, lambda r: r["capture"]),
        "by_family": gauge.group_table([r for r in rows if r["type"] != "unknown"], lambda r: r["layout"]),
        "by_damage": gauge.group_table(rows, lambda r: "damaged" if r["damaged"] else "undamaged"),
        "handwriting": gauge.handwriting(truth, results, norm, min_conf),
        "misses": misses,
        "dossiers": len(truth["dossiers"]),
        "batch": {k: truth.get(k) for k in ("seed", "layouts", "generator_version", "count")},
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
                                       confidence=dict.fromkeys(fields, 1.0), unreadable=False))
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


_SHORT = {"ktp.nik": "NIK", "ktp.nama": "KTP nama", "ktp.tanggal_lahir": "KTP lahir", "ijazah.nama": "ijz nama",
          "ijazah.tanggal_lahir": "ijz lahir", "ijazah.jenjang": "jenjang", "surat_sehat.nama": "sehat nama",
          "surat_sehat.kesimpulan": "kesimpulan", "surat_sehat.tanggal_surat": "tgl surat"}


def _group_table(title: str, groups: dict[str, dict]) -> Table:
    t = Table(title=title)
    for col in ("group", "pages", "doc type", "all fields", *_SHORT.values()):
        t.add_column(col, justify="left" if col == "group" else "right")
    for name, g in groups.items():
        keys = [f"{int(round(g['key'][k]['exact'] * g['key'][k]['n']))}/{g['key'][k]['n']}" if k in g["key"] else "-"
                for k in _SHORT]
        exact = "-" if g["field_exact"] is None else f"{g['field_exact']:.3f}"
        t.add_row(name, str(g["pages"]), f"{g['type_accuracy']:.3f}", exact, *keys)
    return t


def print_report(rep: dict) -> None:
    batch = rep.get("batch") or {}
    console.print(f"batch: seed {batch.get('seed')}, layouts {batch.get('layouts')}, {batch.get('generator_version')}")
    console.print(f"dossiers: {rep['dossiers']}, pages with truth: {rep['pages']}")
    dmg = rep["damaged_pages"]
    if dmg["share"] is not None:
        console.print(f"damaged captures: {dmg['n']} of {rep['pages']} pages ({dmg['share']:.2f})")
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
    console.print(_group_table("per capture form (fields: exact matches / pages with the field)", rep["by_capture"]))
    console.print(_group_table("per layout family", rep["by_family"]))
    console.print(_group_table("damaged and undamaged captures", rep["by_damage"]))
    h = Table(title="handwritten fields (wanted: legible -> right; illegible -> empty with FIELD_UNREADABLE)")
    for col in ("", "n", "right", "empty + FIELD_UNREADABLE", "empty, not flagged", "wrong guess",
                "(of which conf < review threshold)"):
        h.add_column(col, justify="right" if col else "left")
    for kind, o in rep["handwriting"].items():
        h.add_row(kind, *[str(o[k]) for k in ("n", "right", "empty_unreadable", "empty_unflagged", "wrong",
                                              "wrong_low_conf")])
    console.print(h)
    if rep["reason_recall"] is not None:
        console.print(f"expected-reason recall: {rep['reason_recall']:.3f}")
    st = rep["straight_through"]
    if st["rate"] is not None:
        console.print(f"straight-through: {st['ended_complete']} of {st['complete_in_truth']} truly complete dossiers "
                      f"end complete ({st['rate']:.3f})")
    console.print(f"[bold]false accepts: {len(rep['false_accepts'])}[/bold] {rep['false_accepts']}")


def headline(rep: dict) -> dict[str, float | int | None]:
    """The figures worth comparing between two runs, flat: name -> value."""
    out: dict[str, float | int | None] = {"document type": rep["type_accuracy"]}
    out.update({f"field {k}": v["exact"] for k, v in rep["fields"].items()})
    out["straight-through"] = rep["straight_through"]["rate"]
    out["false accepts"] = rep["false_accept_count"]
    out["expected-reason recall"] = rep["reason_recall"]
    out["damaged page share"] = rep["damaged_pages"]["share"]
    for table in ("by_capture", "by_family"):
        for name, g in rep[table].items():
            out[f"{table[3:]} {name}: all fields"] = g["field_exact"]
    for kind, o in rep["handwriting"].items():
        for k in ("right", "empty_unreadable", "wrong"):
            out[f"handwriting {kind}: {k}"] = o[k]
    return out


def diff(before: dict, after: dict) -> None:
    a, b = headline(before), headline(after)
    t = Table(title="before -> after")
    for col in ("measure", "before", "after", "change"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for name in dict.fromkeys([*a, *b]):
        x, y = a.get(name), b.get(name)
        change = "" if x is None or y is None or x == y else f"{y - x:+.3f}"
        t.add_row(name, _fmt(x), _fmt(y), change)
    console.print(t)


def _fmt(v: float | int | None) -> str:
    return "-" if v is None else (str(v) if isinstance(v, int) else f"{v:.3f}")


def _run(cmd: list[str], label: str, timing: dict, *, check: bool, env: dict[str, str] | None = None) -> None:
    """Run a child process and record its wall and CPU seconds (the children's rusage) under `label`."""
    before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=check, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timing[label] = {"wall_s": round(time.perf_counter() - t0, 1),
                     "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1201, help="1201-1203 are field mode's tuning seeds")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=Path("var/eval"))
    ap.add_argument("--reuse", action="store_true", help="do not regenerate or re-run; compare what is there")
    ap.add_argument("--json", type=Path, default=None, help="where the JSON report goes (default DIR/report.json)")
    ap.add_argument("--truth-only", action="store_true", help="rules on the true field values, no OCR")
    ap.add_argument("--layouts", default="field",
                    help="passed to the generator: field (default: damaged captures the rule), old, new, all")
    ap.add_argument("--rerun", action="store_true", help="keep the generated input, run the pipeline again")
    ap.add_argument("--misses", action="store_true", help="list every wrong field (not on the held-out seed)")
    ap.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                    help="compare the headline figures of two JSON reports and stop")
    args = ap.parse_args(argv)
    if args.diff:
        diff(*(json.loads(p.read_text(encoding="utf-8")) for p in args.diff))
        return 0

    out = args.dir / "out"
    timing: dict[str, dict] = {}
    if not args.reuse and not args.rerun:
        shutil.rmtree(args.dir, ignore_errors=True)
        _run([sys.executable, "-m", "scripts.generate_samples", "--out", str(args.dir), "--count", str(args.count),
              "--seed", str(args.seed), "--layouts", args.layouts], "generate", timing, check=True)
    truth = json.loads((args.dir / "truth.json").read_text())
    if args.misses and held_out(truth):
        print("evaluate: this is the frozen held-out batch (docs/samples.md): its per-field misses are not shown",
              file=sys.stderr)
        return 2
    if not args.reuse and not args.truth_only:
        shutil.rmtree(out, ignore_errors=True)
        _run([sys.executable, "-m", "berkas", "run", str(args.dir / "input"), "--out", str(out),
              "--workers", str(args.workers)], "pipeline", timing, check=False,
             env=dict(os.environ, BERKAS_DEV_MODE="1"))  # generated data: the development key will do
    if args.truth_only:
        results = truth_only_results(args.dir)
    else:
        results = {}
        for p in out.glob("*/result.json"):
            data = json.loads(p.read_text())
            results[data["dossier_id"]] = data
    from config.rules import load_rules  # noqa: PLC0415 - only here: --diff needs no project imports

    rep = compare(truth, results, min_conf=load_rules().confidence.min_field)
    rep["timing"] = timing
    if held_out(truth):
        rep["misses"] = "withheld: frozen held-out batch (docs/samples.md)"
    print_report(rep)
    for label, tm in timing.items():
        console.print(f"{label}: {tm['wall_s']} s wall, {tm['cpu_s']} s CPU (child processes)")
    if args.misses:
        for m in sorted(rep["misses"], key=lambda m: (m["field"], m["variant"] or "")):
            console.print(f"{m['field']:<26} {m['variant'] or '-':<12} {m['dossier']} {m['file']}: "
                          f"want {m['want']!r} got {m['got']!r} conf {m['conf']}", highlight=False, markup=False)
    report = args.json or args.dir / "report.json"
    report.write_text(json.dumps(rep, indent=2))
    console.print(f"report: {report}")
    return 1 if rep["false_accepts"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
