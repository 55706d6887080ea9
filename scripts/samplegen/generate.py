"""Top level: plan scenario slots, build each dossier from its own seeded Generator, write truth.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scripts.samplegen import GENERATOR_VERSION, families, fieldmode
from scripts.samplegen.dossier import build_slot
from scripts.samplegen.render import VARIANTS
from scripts.samplegen.scenarios import NEEDS_NEW_FAMILIES, SCENARIOS, plan


def generate(out: Path, *, count: int, seed: int, scenarios: list[str] | None = None,
             variants: list[str] | None = None, layouts: str | list[str] | None = None) -> dict:
    """Write `count` dossiers under out/input and the ground truth to out/truth.json; returns the truth.

    `layouts` is `old`, `new`, `all` (default), `field` or a list of family / degradation names
    (families.parse).
    Raises ValueError for a bad count, unknown scenario, variant or layout names, or a non-empty out/input,
    RuntimeError when a font of field mode is not installed.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if variants:
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    selection = families.parse(layouts)
    if selection.field:
        fieldmode.allowed_forms(tuple(variants or VARIANTS))  # ValueError when --variants leaves no form
        fieldmode.require_fonts()  # RuntimeError naming the Debian packages
    input_dir = out / "input"
    if input_dir.exists() and any(input_dir.iterdir()):
        raise ValueError(f"{input_dir} is not empty; choose a new --out or remove it first")
    input_dir.mkdir(parents=True, exist_ok=True)
    exclude = NEEDS_NEW_FAMILIES if selection.old_only else ()
    slots = plan(count, np.random.default_rng([seed, 0xD05]), scenarios, exclude)
    dossiers: dict[str, dict] = {}
    n = 0
    for i, scenario in enumerate(slots):
        ids = [f"KPPS-{n + k + 1:04d}" for k in range(SCENARIOS[scenario].dossiers)]
        n += len(ids)
        built = build_slot(input_dir, seed, i, scenario, ids, tuple(variants or VARIANTS), selection)
        dossiers.update(built.truth)
    for pair_ids in _duplicate_pairs(dossiers):
        for did in pair_ids:
            dossiers[did]["duplicate_of"] = [o for o in pair_ids if o != did]
    truth = {"seed": seed, "generator_version": GENERATOR_VERSION, "layouts": _spec(layouts),
             "count": len(dossiers), "dossiers": dossiers}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def _duplicate_pairs(dossiers: dict[str, dict]) -> list[list[str]]:
    ids = [d for d, t in dossiers.items() if t["scenario"] == "duplicate_nik"]
    return [ids[i:i + 2] for i in range(0, len(ids), 2)]


def _spec(layouts: str | list[str] | None) -> str:
    if not layouts:
        return "all"
    return layouts if isinstance(layouts, str) else ",".join(layouts)
