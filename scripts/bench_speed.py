"""Speed benchmark: the pipeline against plain `tesseract PAGE - -l ind` on the same pages.

    python -m scripts.bench_speed --count 24 --seed 11

Reports, for one generated batch:
- plain tesseract CPU seconds per dossier: one `tesseract PNG - -l ind` process per page (OMP_THREAD_LIMIT=1),
  for every page the pipeline receives, each exported once as the PNG it decodes to. Counted: the tesseract
  processes (including their model load). Not counted: decoding the files and writing the PNGs.
- pipeline CPU seconds per dossier with 1 process: the pool processes and their decode-guard children (the
  runner stops those at pool exit, so they are reaped and counted): start-up (Runtime.load, the decode child's
  start), decoding, preprocessing, OCR, extraction, checks, store writes. Not counted: ingestion, the parent's
  duplicate reconciliation. The same pages as above, so the ratio compares like with like; pages with a usable
  PDF text layer are OCRed by plain tesseract but not by the pipeline (that saving is the pipeline's own).
- pages per second (wall clock) with 1 and with 2 worker processes, and the speed-up of 2 over 1;
- peak resident memory of one worker process on its own (`peak_rss_mb_per_worker`, RUSAGE_SELF of each pool
  process), and of any child process including the decode child (`peak_rss_mb_any_child`);
- the CPU split by stage of reading (`stage_cpu_s_per_dossier`), from a separate pass in this process over the
  same pages (`read_page` with the runtime's engines, timed per call with `process_time`): preprocess
  (rectify_and_clean + orient_and_scale), tesseract (every tesseract read: the page, orientation detection (OSD)
  and votes, retries and region re-reads), neural detection, neural classification + recognition (the engine's own counters), and
  extraction (the rest of `read_page`: classification, the readers, their second looks' own work). Decoding,
  checks and store writes are not in it.
`--metrics` counts everything as a worker serving /metrics does (workers/metrics.py: stage timings, counters),
to measure what the metrics cost. Nothing here is asserted; the figures are printed (and written as JSON with --json). On a shared machine run
it when idle: wall-clock figures suffer from other load, CPU figures much less.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from config.settings import Settings
from pipeline import intake
from pipeline.storage import open_store
from workers.embedded import process_batch
from workers.ingest import ingest


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def batch_pages(input_dir: Path, settings: Settings):
    """(dossier folder, file, page) for every page the pipeline would read in a generated batch."""
    for folder in sorted(p for p in input_dir.iterdir() if p.is_dir()):
        for f in sorted(folder.iterdir()):
            if f.name == "registration.json":
                continue
            data = f.read_bytes()
            pages, _ = intake.load_pages(f.name, data, sha256=hashlib.sha256(data).hexdigest(),
                                         limits=settings.limits)
            for page in pages:
                yield folder, f, page


def export_pages(input_dir: Path, dest: Path, settings: Settings) -> int:
    """Write every page the pipeline would read as a PNG (what plain tesseract gets)."""
    n = 0
    for folder, f, page in batch_pages(input_dir, settings):
        if page.image is None:
            continue
        n += 1
        cv2.imwrite(str(dest / f"{folder.name}-{f.stem}-{page.page}.png"), page.image)
    return n


def plain_tesseract(pages_dir: Path) -> float:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    c0 = _children_cpu()
    for png in sorted(pages_dir.glob("*.png")):
        subprocess.run(["tesseract", str(png), "-", "-l", "ind"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _children_cpu() - c0


def stage_split(input_dir: Path, settings: Settings) -> dict[str, float]:
    """CPU seconds per stage of reading over every page of `input_dir` (see the module docstring)."""
    from unittest import mock

    from pipeline.observe import TimedEngine
    from pipeline.reading import acquire, read_page
    from pipeline.reading.protocol import NEURAL, PRIMARY, ReadingTools
    from pipeline.runtime import Runtime

    runtime = Runtime.load(settings)
    spent = dict.fromkeys(("preprocess", "tesseract", "neural_detection", "neural_recognition", "extraction"), 0.0)
    base = runtime.reading
    engines = {PRIMARY: TimedEngine(base.engine, spent, key="tesseract", clock=time.process_time)}
    if base.neural is not None:
        engines[NEURAL] = base.neural
    tools = ReadingTools(engines=engines, nlp=base.nlp, policy=base.policy)

    def timed(fn):
        def run(*a, **kw):
            t0 = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                spent["preprocess"] += time.process_time() - t0
        return run

    neural_before = dict(getattr(base.neural, "cpu", {}))
    total = 0.0
    with mock.patch.object(acquire, "rectify_and_clean", timed(acquire.rectify_and_clean)), \
            mock.patch.object(acquire, "orient_and_scale", timed(acquire.orient_and_scale)):
        for _folder, f, page in batch_pages(input_dir, settings):
            t0 = time.process_time()
            try:
                read_page(page, tools)
            except Exception as e:  # noqa: BLE001 - a benchmark counts the page and goes on
                print(f"stage split: {f.name} p{page.page}: {type(e).__name__}", file=sys.stderr)
            total += time.process_time() - t0
    cpu = getattr(base.neural, "cpu", {})
    spent["neural_detection"] = cpu.get("detect", 0.0) - neural_before.get("detect", 0.0)
    spent["neural_recognition"] = sum(cpu.get(k, 0.0) - neural_before.get(k, 0.0) for k in ("classify", "recognise"))
    spent["extraction"] = total - sum(v for k, v in spent.items() if k != "extraction")
    return spent


def pipeline_run(input_dir: Path, work: Path, processes: int) -> tuple[float, float, int, float]:
    shutil.rmtree(work, ignore_errors=True)
    settings = Settings(store_path=work / "store", workers=processes)
    store = open_store(settings)
    summary = ingest(input_dir, store, queue=None, progress=False)
    t0 = time.perf_counter()
    outcome = process_batch(sorted(summary.dossier_ids), settings, processes=processes)
    wall = time.perf_counter() - t0
    return wall, outcome.cpu_seconds, len(outcome.results), outcome.worker_peak_rss_mb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--dir", type=Path, default=Path("var/bench"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--metrics", action="store_true", help="count metrics as a worker serving /metrics does")
    args = ap.parse_args(argv)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if args.metrics:
        from workers.metrics import install

        install()  # inherited by the pool processes, which count into their own copy

    shutil.rmtree(args.dir, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "scripts.generate_samples", "--out", str(args.dir),
                    "--count", str(args.count), "--seed", str(args.seed)], check=True,
                   stdout=subprocess.DEVNULL)
    input_dir = args.dir / "input"
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        n_pages = export_pages(input_dir, Path(tmp), settings)
        tess_cpu = plain_tesseract(Path(tmp))

    wall1, cpu1, n1, rss1 = pipeline_run(input_dir, args.dir / "run1", 1)
    wall2, cpu2, n2, rss2 = pipeline_run(input_dir, args.dir / "run2", 2)
    any_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stages = stage_split(input_dir, settings)
    rep = {
        "dossiers": n1,
        "pages": n_pages,
        "plain_tesseract_cpu_s_per_dossier": tess_cpu / n1,
        "pipeline_cpu_s_per_dossier": cpu1 / n1,
        "ratio_pipeline_over_tesseract": cpu1 / tess_cpu,
        "pages_per_s_1proc": n_pages / wall1,
        "pages_per_s_2proc": n_pages / wall2,
        "speedup_2_over_1": wall1 / wall2,
        "dossiers_per_min_2proc": n2 / wall2 * 60,
        "pipeline_cpu_s_per_dossier_2proc": cpu2 / n2 if n2 else 0.0,
        "peak_rss_mb_per_worker": max(rss1, rss2),
        "peak_rss_mb_any_child": any_child_mb,
        "neural_engine": settings.ocr_neural,
        "stage_cpu_s_per_dossier": {k: round(v / n1, 3) for k, v in stages.items()},
    }
    for k, v in rep.items():
        if isinstance(v, dict):
            for stage, sec in v.items():
                print(f"  {stage:34s} {sec:.3f}")
        else:
            print(f"{k:36s} {v:.3f}" if isinstance(v, float) else f"{k:36s} {v}")
    if args.json:
        args.json.write_text(json.dumps(rep, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
