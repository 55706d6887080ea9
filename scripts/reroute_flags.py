"""Move review flags and report summary rows to where the current area rule files them (one-off, after an upgrade).

Why: before issue 13 (finding 8), an area matched only weakly was filed under the desa that scored best, whose
PPS then saw the dossier in the queue. Re-processing does not move such a flag, because publishing computes the
dossier's old area with the current rule too. This walks `flags/` and `summaries/`, computes each dossier's area
from its stored result exactly as `pipeline.publish.area_of` does, and moves every object that sits elsewhere
(flag, then summary row, then queue-index marks for both areas). Idempotent; `--dry-run` only lists.

    python -m scripts.reroute_flags [--dry-run]        # the store of BERKAS_STORE / BERKAS_STORE_PATH / S3 settings
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace

from models.contract import DossierResult
from pipeline import queue_index
from pipeline.errors import ObjectNotFound
from pipeline.publish import area_of
from pipeline.regions import Regions
from pipeline.reports.summary import SummaryRow, summary_key
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore


@dataclass
class Moves:
    flags: list[tuple[str, str]] = field(default_factory=list)  # (old key, new key)
    summaries: list[tuple[str, str]] = field(default_factory=list)
    without_result: list[str] = field(default_factory=list)  # keys left alone: no result to compute an area from


def _current_area(store: ObjectStore, dossier_id: str, runtime: SimpleNamespace,
                  cache: dict[str, keys.AreaCodes | None]) -> keys.AreaCodes | None:
    if dossier_id not in cache:
        try:
            result = DossierResult.model_validate(store.get_json(keys.result_key(dossier_id)))
        except ObjectNotFound:
            cache[dossier_id] = None
        else:
            cache[dossier_id] = area_of(result, runtime)
    return cache[dossier_id]


def reroute(store: ObjectStore, regions: Regions | None = None, *, dry_run: bool = False) -> Moves:
    """Move every flag and summary row whose area differs from the one its dossier's result gives now."""
    runtime = SimpleNamespace(regions=regions or Regions.load())
    cache: dict[str, keys.AreaCodes | None] = {}
    moves = Moves()
    for key in list(store.list("flags/")):
        dossier_id = keys.dossier_id_from_key(key)
        old, new = keys.area_from_flag_key(key), _current_area(store, dossier_id, runtime, cache)
        if new is None:
            moves.without_result.append(key)
            continue
        if old == new:
            continue
        target = keys.flag_key(new, dossier_id)
        moves.flags.append((key, target))
        if not dry_run:
            store.put_json(target, store.get_json(key))
            store.delete(key)
            queue_index.mark(store, new, dossier_id)
            queue_index.mark(store, old, dossier_id)
    for key in list(store.list("summaries/")):
        dossier_id = keys.dossier_id_from_key(key)
        new = _current_area(store, dossier_id, runtime, cache)
        if new is None:
            moves.without_result.append(key)
            continue
        row = SummaryRow.model_validate(store.get_json(key))
        kab, kec, desa, tps = new.segments()
        moved = row.model_copy(update={"kab": kab, "kec": kec, "desa": desa, "tps": keys.normalise_tps(tps) or tps})
        target = summary_key(moved)
        if target == key:
            continue
        moves.summaries.append((key, target))
        if not dry_run:
            store.put_json(target, moved.model_dump(mode="json"))
            store.delete(key)
    return moves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="only list what would move")
    args = parser.parse_args(argv)

    from config.settings import get_settings
    from pipeline.storage import open_store

    moves = reroute(open_store(get_settings()), dry_run=args.dry_run)
    verb = "would move" if args.dry_run else "moved"
    for old, new in moves.flags + moves.summaries:
        print(f"{verb}: {old} -> {new}")
    print(f"{len(moves.flags)} flags and {len(moves.summaries)} summary rows {verb}; "
          f"{len(moves.without_result)} objects without a result left alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
