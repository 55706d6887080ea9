"""Render the NIK digit templates from the fonts and write them as package data (development time only).

    python -m scripts.render_nik_templates [--check]

Writes `pipeline/reading/ktp/data/nik_templates.npz` and its sha256 beside it (`nik_templates.sha256`), which
the NIK reader loads and the start-up self-check verifies; the fonts (Debian `fonts-ocr-a`,
`fonts-dejavu-core`, `fonts-liberation`) are needed here, never where Berkas runs. `--check` only compares a
fresh rendering with the shipped file (exit 1 when they differ).
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import numpy as np

from pipeline.reading.ktp.nik_templates import (
    CHECKSUM_FILE,
    TEMPLATES_FILE,
    load_templates,
    render_templates,
    templates_bytes,
)


def same(a: dict[str, list[np.ndarray]], b: dict[str, list[np.ndarray]]) -> bool:
    return a.keys() == b.keys() and all(
        len(a[d]) == len(b[d]) and all(np.array_equal(x, y) for x, y in zip(a[d], b[d], strict=True)) for d in a)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = ap.parse_args(argv)
    fresh = render_templates()
    if args.check:
        ok = same(fresh, load_templates())
        print("shipped NIK templates match the fonts" if ok else "shipped NIK templates differ from the fonts")
        return 0 if ok else 1
    data = templates_bytes(fresh)
    TEMPLATES_FILE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATES_FILE.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    CHECKSUM_FILE.write_text(f"{digest}  {TEMPLATES_FILE.name}\n", encoding="ascii")
    print(f"{TEMPLATES_FILE} ({len(data)} bytes, {sum(len(v) for v in fresh.values())} templates), sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
