"""Scenario table (what each dossier is meant to test) and the default mix for a given count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scenario:
    name: str
    expected_status: str
    expected_reasons: tuple[str, ...] = ()
    expected_missing: tuple[str, ...] = ()
    dossiers: int = 1  # duplicate_nik makes a pair


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("complete", "complete"),
    Scenario("missing_ktp", "incomplete", ("KTP_MISSING",), ("ktp",)),
    Scenario("missing_ijazah", "incomplete", ("IJAZAH_MISSING",), ("ijazah",)),
    Scenario("missing_surat_sehat", "incomplete", ("SURAT_SEHAT_MISSING",), ("surat_sehat",)),
    Scenario("other_person_ijazah", "needs_review", ("NAME_MISMATCH", "DOB_MISMATCH")),
    Scenario("dob_mismatch", "needs_review", ("DOB_MISMATCH",)),
    Scenario("nik_mismatch", "needs_review", ("NIK_MISMATCH",)),
    Scenario("under_age", "not_eligible", ("UNDER_AGE",)),
    Scenario("over_55", "needs_review", ("OVER_55",)),
    Scenario("low_education", "not_eligible", ("EDUCATION_TOO_LOW",)),
    Scenario("not_healthy", "not_eligible", ("NOT_HEALTHY",)),
    Scenario("stale_health", "needs_review", ("HEALTH_LETTER_STALE",)),
    Scenario("missing_vitals", "needs_review", ("VITALS_MISSING",)),
    Scenario("out_of_area", "needs_review", ("OUT_OF_AREA",)),
    Scenario("duplicate_nik", "needs_review", ("DUPLICATE_NIK",), dossiers=2),
    Scenario("bad_ktp_file", "incomplete", ("KTP_MISSING", "FILE_UNREADABLE"), ("ktp",)),
    Scenario("bad_extra_file", "needs_review", ("FILE_UNREADABLE",)),
    Scenario("registration_invalid", "incomplete", ("REGISTRATION_INVALID",)),
    # needs a new layout family (a private practice's letterhead): left out of the default mix of --layouts old
    Scenario("issuer_unknown", "needs_review", ("ISSUER_UNKNOWN",)),
]}
NEEDS_NEW_FAMILIES = ("issuer_unknown",)
COMPLETE_SHARE = 0.4


def plan(count: int, rng: np.random.Generator, forced: list[str] | None = None,
         exclude: tuple[str, ...] = ()) -> list[str]:
    """Scenario slots whose dossier counts sum to `count` (a duplicate_nik slot makes two dossiers).

    Forced lists are cycled in order. The default is ~40 % complete, the rest a seeded shuffle of every
    other scenario (all of them appear once count is large enough), minus `exclude`. A pair that no longer
    fits becomes 'complete'.
    """
    if forced:
        unknown = [s for s in forced if s not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
        cycle = forced
    else:
        others = [s for s in SCENARIOS if s != "complete" and s not in exclude]
        others = [others[i] for i in rng.permutation(len(others))]
        n_complete = round(count * COMPLETE_SHARE)
        n_other = count - n_complete
        cycle = []
        while sum(SCENARIOS[s].dossiers for s in cycle) < n_other:
            cycle.append(others[len(cycle) % len(others)])
        cycle += ["complete"] * n_complete
        cycle = [cycle[i] for i in rng.permutation(len(cycle))]
    out: list[str] = []
    made = i = 0
    while made < count:
        name = cycle[i % len(cycle)]
        i += 1
        if SCENARIOS[name].dossiers > count - made:
            name = "complete"
        out.append(name)
        made += SCENARIOS[name].dossiers
    return out
