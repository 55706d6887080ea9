"""Pictures of the nightly report for docs/img (report-*.png), over a made-up Kota Pasuruan.

    .venv/bin/python -m scripts.report_screenshots [--out docs/img] [--keep var/report-demo]

Two nights of synthetic summary rows (no OCR, no personal data: made-up ids, statuses and reasons) for the
34 kelurahan of Kota Pasuruan, counted against the demo TPS list (config/tps/demo_kota_pasuruan.csv, 509
made-up TPS). Between the nights some dossiers arrive, change status, are decided (a few approvals over
failed checks) or leave. The second night's PDF is rendered by pdftoppm, one PNG per part of the report:
report-summary.png (header, key figures, short TPS), report-changes.png, report-problems.png (candidate
problems), report-reading.png (reading problems), report-chart.png (per kecamatan, with a chart). `--keep` also keeps the HTML, PDF and CSV files.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
from PIL import Image

from config.settings import CONFIG_DIR
from models.contract import DossierStatus
from pipeline.reports import build_report
from pipeline.storage import LocalStore
from scripts.bench_report import synthetic_row

DEMO_TPS = CONFIG_DIR / "tps" / "demo_kota_pasuruan.csv"
DAY1, DAY2 = "2023-12-19", "2023-12-20"
ROWS = 2400
PAGES = {  # picture -> text that marks its page (the first page holding it)
    "report-summary.png": "Ringkasan",
    "report-changes.png": "Perubahan sejak",
    "report-problems.png": "Masalah berkas calon",
    "report-reading.png": "Masalah pembacaan dokumen",
    "report-chart.png": "Rincian per",
}


def _key(row: dict) -> str:
    kab, kec, desa = row["kab"], row["kec"], row["desa"]
    return f"summaries/{kab}/{kec}/{desa}/{row['dossier_id']}.json"


def _tps_pairs() -> list[tuple[str, str]]:
    lines = DEMO_TPS.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split(",")[:2]) for line in lines if line]  # type: ignore[misc]


def night_one(store: LocalStore, rng: random.Random) -> list[dict]:
    """ROWS dossiers spread over the TPS at random (a few TPS get none); a few ids are NIK-shaped."""
    pairs = _tps_pairs()
    rows = []
    for n in range(ROWS):
        desa, tps = rng.choice(pairs)
        row = synthetic_row(rng, n, desa, tps)
        row["dossier_id"] = f"3575{n:012d}" if n % 400 == 7 else f"PSR-{n:05d}"
        store.put_json(_key(row), row)
        rows.append(row)
    return rows


def night_two(store: LocalStore, rows: list[dict], rng: random.Random) -> None:
    """What a day brings: new dossiers, re-processed ones, decisions (some over failed checks), removals."""
    stamp = datetime(2023, 12, 20, 9, tzinfo=UTC).isoformat()
    pairs = _tps_pairs()
    for n in range(ROWS, ROWS + 40):
        desa, tps = rng.choice(pairs)
        row = synthetic_row(rng, n, desa, tps)
        row["dossier_id"] = f"PSR-{n:05d}"
        store.put_json(_key(row), row)
    for row in rng.sample(rows, 60):
        row["status"] = rng.choice([DossierStatus.COMPLETE.value, DossierStatus.NEEDS_REVIEW.value])
        row["reasons"] = [] if row["status"] == "complete" else [rng.choice(["NAME_MISMATCH", "LOW_CONFIDENCE"])]
        row["updated_at"] = stamp
        store.put_json(_key(row), row)
    undecided = [r for r in rows if r["review"] is None and r["status"] != "complete"]
    for i, row in enumerate(rng.sample(undecided, 30)):
        decision = "approved" if i % 3 else "rejected"
        row["review"] = {"decision": decision, "at": stamp, "override": decision == "approved" and i % 2 == 0}
        store.put_json(_key(row), row)
    for row in rng.sample(rows, 5):
        store.delete(_key(row))


def pages_of(pdf_path: Path) -> dict[str, int]:
    """Picture name -> 1-based page number of the first page holding its marker text."""
    found: dict[str, int] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            text = page.extract_text() or ""
            for name, marker in PAGES.items():
                if name not in found and marker in text:
                    found[name] = number
    return found


def trim(source: Path, target: Path, margin: int = 24) -> None:
    """Copy a page picture without the blank paper below and right of what is printed on it."""
    with Image.open(source) as page:
        grey = page.convert("L").point(lambda v: 255 if v < 250 else 0)
        box = grey.getbbox() or (0, 0, *page.size)
        page.crop((0, 0, min(page.width, box[2] + margin), min(page.height, box[3] + margin))).save(target)


def take(out: Path, keep: Path | None = None) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm tidak ada: apt-get install poppler-utils")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="berkas-report-") as tmp:
        store = LocalStore(Path(tmp) / "store", fsync=False)
        rng = random.Random(2024)
        rows = night_one(store, rng)
        build_report(store, date=DAY1, area="35.75", tps_csv=DEMO_TPS)
        night_two(store, rows, rng)
        paths = build_report(store, date=DAY2, area="35.75", tps_csv=DEMO_TPS)
        pdf_path = Path(tmp) / "laporan.pdf"
        pdf_path.write_bytes(store.get_bytes(paths.pdf))
        for name, page in sorted(pages_of(pdf_path).items()):
            stem = Path(tmp) / name.removesuffix(".png")
            subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                            str(pdf_path), str(stem)], check=True)
            trim(Path(f"{stem}.png"), out / name)
            written.append(out / name)
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            for key in [paths.html, paths.pdf, paths.changes_csv, paths.tps_shortage_csv, *paths.csv.values()]:
                (keep / key.rsplit("/", 1)[1]).write_bytes(store.get_bytes(key))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--keep", type=Path, help="also copy the report's HTML, PDF and CSV files here")
    args = parser.parse_args(argv)
    for path in take(args.out, args.keep):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
