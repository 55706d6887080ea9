"""OCR measurements on generated samples (see docs/ocr.md for the figures).

    python -m scripts.bench_ocr nik --samples DIR           # NIK reader vs tesseract on every KTP page
    python -m scripts.bench_ocr preprocess --samples DIR    # OCR on raw vs prepared pages (conf, field recall)
    python -m scripts.bench_ocr engines --samples DIR       # tesserocr vs pytesseract on the same crops

DIR is a `generate_samples` output (DIR/input, DIR/truth.json). Pages are decoded with pipeline.decode.
Personal data in the output are synthetic; NIKs are still printed masked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from config.settings import Limits
from pipeline.context import PageInput
from pipeline.decode import decode_file
from pipeline.errors import FileRejected
from pipeline.ocr.factory import make_engine
from pipeline.preprocess import prepare
from pipeline.reading.ktp.nik_reader import read_nik


def _pages(samples: Path, types: set[str] | None = None):
    """(truth page entry, PageInput) for every page in truth that decodes to an image."""
    truth = json.loads((samples / "truth.json").read_text())
    limits = Limits()
    for dossier_id, d in sorted(truth["dossiers"].items()):
        cache: dict[str, list[PageInput]] = {}
        for p in d["pages"]:
            if types and p["type"] not in types:
                continue
            if p["file"] not in cache:
                data = (samples / "input" / dossier_id / p["file"]).read_bytes()
                try:
                    cache[p["file"]] = decode_file(p["file"], data, hashlib.sha256(data).hexdigest(), limits)[0]
                except FileRejected:
                    cache[p["file"]] = []
            pages = [pg for pg in cache[p["file"]] if pg.page == p["page"] and pg.image is not None]
            if pages:
                yield dossier_id, p, pages[0]


def _mask(nik: str | None) -> str:
    return "-" if not nik else nik[:4] + "*" * 8 + nik[-4:]


def bench_nik(samples: Path, verbose: bool) -> dict:
    engine = make_engine("auto")
    per: dict[str, list[str]] = defaultdict(list)
    times = []
    for dossier_id, p, page in _pages(samples, {"ktp"}):
        truth = p["fields"].get("nik")
        t0 = time.process_time()
        prep = prepare(page, engine)
        r = read_nik(prep.image, engine=engine)
        times.append(time.process_time() - t0)
        if r.digits == truth and not r.uncertain:
            outcome = "exact"
        elif r.uncertain:
            outcome = "uncertain" + ("(right)" if r.digits == truth else "")
        else:
            outcome = "WRONG"
        tess = "tess_exact" if r.tesseract == truth else "tess_wrong"
        per[p["variant"]].append(outcome)
        per["_tesseract"].append(tess)
        if verbose or outcome != "exact":
            print(f"{dossier_id} {p['file']} {p['variant']:13s} {outcome:16s} read={_mask(r.digits)} "
                  f"truth={_mask(truth)} kind={prep.kind} found={prep.card_found} rot={prep.rotation}")
    summary = {v: {o: outs.count(o) for o in sorted(set(outs))} for v, outs in sorted(per.items())}
    summary["_cpu_s_per_page(prepare+read_nik)"] = round(statistics.mean(times), 3) if times else None
    return summary


def _field_recall(text: str, fields: dict) -> float:
    from rapidfuzz import fuzz

    vals = [str(v).upper() for v in fields.values() if isinstance(v, str) and len(str(v)) >= 3]
    if not vals:
        return float("nan")
    up = text.upper()
    return statistics.mean(fuzz.partial_ratio(v, up) / 100 for v in vals)


def bench_preprocess(samples: Path, verbose: bool) -> dict:
    engine = make_engine("auto")
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for dossier_id, p, page in _pages(samples):
        raw = engine.read(page.image, psm=3)
        prep = prepare(page, engine)
        done = engine.read(prep.image, psm=3)
        row = (raw.mean_conf(), done.mean_conf(), _field_recall(raw.text(), p["fields"]),
               _field_recall(done.text(), p["fields"]))
        rows[f"{p['type']}/{p['variant']}"].append(row)
        if verbose:
            print(dossier_id, p["file"], p["type"], p["variant"], " ".join(f"{x:.3f}" for x in row))
    out = {}
    for key, rs in sorted(rows.items()):
        arr = np.array(rs, float)
        m = np.nanmean(arr, axis=0)
        out[key] = {"n": len(rs), "conf_raw": round(m[0], 3), "conf_prepared": round(m[1], 3),
                    "recall_raw": round(m[2], 3), "recall_prepared": round(m[3], 3)}
    return out


def bench_engines(samples: Path, verbose: bool, limit: int = 12) -> dict:
    engines = {k: make_engine(k) for k in ("tesserocr", "pytesseract")}
    crops = []
    for _, _, page in _pages(samples, {"ktp"}):
        prep = prepare(page, engines["tesserocr"])
        crops.append(prep.image)
        if len(crops) >= limit:
            break
    from rapidfuzz import fuzz

    out: dict = {}
    texts: dict[str, list[str]] = {}
    for name, eng in engines.items():
        t0 = time.perf_counter()
        pages = [eng.read(c, psm=3) for c in crops]
        wall = (time.perf_counter() - t0) / max(1, len(crops))
        texts[name] = [p.text() for p in pages]
        out[name] = {"pages": len(crops), "version": getattr(eng, "version", "?"), "wall_s_per_page": round(wall, 3),
                     "mean_conf": round(statistics.mean(p.mean_conf() for p in pages), 3)}
    pairs = zip(texts["tesserocr"], texts["pytesseract"], strict=True)
    out["text_similarity"] = round(statistics.mean(fuzz.ratio(a, b) / 100 for a, b in pairs), 3)
    # OSD cost on the same crops
    t0 = time.perf_counter()
    for c in crops:
        engines["tesserocr"].osd(c)
    out["osd_wall_s_per_page"] = round((time.perf_counter() - t0) / max(1, len(crops)), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_ocr", description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["nik", "preprocess", "engines"])
    ap.add_argument("--samples", type=Path, required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    cv2.setNumThreads(1)
    fn = {"nik": bench_nik, "preprocess": bench_preprocess, "engines": bench_engines}[a.what]
    print(json.dumps(fn(a.samples, a.verbose), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
