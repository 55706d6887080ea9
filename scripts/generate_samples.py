"""Generate synthetic KPPS dossiers and their ground truth.

    python -m scripts.generate_samples --out DIR --count N --seed S [--scenarios a,b] [--variants x,y]
                                       [--layouts old|new|all|field|family,degradation,...]

Writes DIR/input/<dossier_id>/{registration.json, scans...} and DIR/truth.json (beside input, never inside).
The same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.samplegen.families import DEGRADATIONS, FAMILIES, FIELD_FAMILIES
from scripts.samplegen.generate import generate
from scripts.samplegen.render import VARIANTS
from scripts.samplegen.scenarios import SCENARIOS


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="generate_samples", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder (input/ and truth.json go here)")
    ap.add_argument("--count", type=int, default=24, help="number of dossiers")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--scenarios", help=f"comma list, cycled; one of: {', '.join(SCENARIOS)}")
    ap.add_argument("--variants", help=f"comma list of renderings to use; one of: {', '.join(VARIANTS)}")
    families = ", ".join(f for table in (FAMILIES, FIELD_FAMILIES) for fams in table.values() for f in fams)
    ap.add_argument("--layouts", default="all",
                    help="old (the first designs, no extra damage: the earlier generator's scans byte for byte), "
                         "new (only newer designs, most pages damaged), all (a mix; default), field (every design "
                         "incl. handwritten diplomas, most pages captured damaged: low-dpi scans, phone photos, "
                         "photocopies of photocopies; the evaluation default), or a comma list of "
                         f"families ({families}) and degradations ({', '.join(DEGRADATIONS)})")
    args = ap.parse_args(argv)
    try:
        truth = generate(args.out, count=args.count, seed=args.seed, scenarios=_csv(args.scenarios),
                         variants=_csv(args.variants), layouts=_csv(args.layouts))
    except ValueError as e:
        print(f"generate_samples: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # a font is missing
        print(f"generate_samples: {e}", file=sys.stderr)
        return 1
    print(f"{len(truth['dossiers'])} dossiers -> {args.out / 'input'}; truth -> {args.out / 'truth.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
