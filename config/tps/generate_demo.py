"""Write a made-up TPS list (`kode_desa,tps`) for the desa of an area, for demos and benchmarks.

    python -m config.tps.generate_demo --area 35.75 --out config/tps/demo_kota_pasuruan.csv

The numbers of TPS per desa are drawn from a seeded generator: same arguments, same file.
Real lists come from KPU (the DPT's TPS per desa/kelurahan); this is not one.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

from config.settings import CONFIG_DIR

WILAYAH_CSV = CONFIG_DIR / "wilayah" / "wilayah_2023_jawa_timur.csv"


def desa_codes(area: str, wilayah_csv: Path = WILAYAH_CSV) -> list[str]:
    """Desa/kelurahan codes (4 parts) at or below `area`, in file order."""
    with wilayah_csv.open(newline="", encoding="utf-8") as fh:
        codes = [row["kode"].strip() for row in csv.DictReader(fh)]
    return [c for c in codes if c.count(".") == 3 and (c == area or c.startswith(area + "."))]


def generate(area: str, *, seed: int = 2024, low: int = 5, high: int = 25) -> list[tuple[str, int]]:
    """(desa code, TPS number) pairs: each desa gets between `low` and `high` TPS numbered from 1."""
    rng = random.Random(f"{seed}:{area}")
    pairs = []
    for desa in desa_codes(area):
        pairs += [(desa, n) for n in range(1, rng.randint(low, high) + 1)]
    return pairs


def write_csv(pairs: list[tuple[str, int]], out) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kode_desa", "tps"])
    writer.writerows((desa, f"{n:03d}") for desa, n in pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="35", help="region code (default: 35, all of Jawa Timur)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--min", dest="low", type=int, default=5, help="fewest TPS per desa")
    parser.add_argument("--max", dest="high", type=int, default=25, help="most TPS per desa")
    parser.add_argument("--out", type=Path, help="output CSV (default: stdout)")
    args = parser.parse_args(argv)
    pairs = generate(args.area, seed=args.seed, low=args.low, high=args.high)
    if not pairs:
        print(f"tidak ada desa di bawah kode {args.area}", file=sys.stderr)
        return 2
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as fh:
            write_csv(pairs, fh)
    else:
        write_csv(pairs, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
