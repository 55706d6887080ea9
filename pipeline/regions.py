"""The one region table: Kemendagri codes and names (config/wilayah), loaded once per process.

It serves the pipeline (a registration's or a KTP's area names -> codes, `resolve_area`, `route`) and the
reports (names and the codes below a code, `name`, `children_of`), with one set of matching rules:

Names are folded before matching: upper case, punctuation and spaces dropped, administrative prefixes
(KAB./KABUPATEN, KOTA, KEC., KEL./DESA, PROVINSI) taken off, old spellings (OE, DJ, TJ, CH) and common OCR
digit-for-letter slips mapped to one form; what remains is compared with rapidfuzz. Desa names repeat
across kecamatan, so a desa is searched only inside its kecamatan, and a kecamatan only inside its kab/kota.
A name that folds to nothing (`-`, `?`) matches nothing. The thresholds are data (config/wilayah/matching.yaml).

The table (`names`, `children`) is keyed by dotted codes (`35.75.02.1005`), as the store, the accounts and the
reports write them; every method also takes plain digits (`3575021005`). An AreaMatch holds plain digits.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

WILAYAH_DIR = Path(__file__).resolve().parent.parent / "config" / "wilayah"
MATCHING_FILE = "matching.yaml"
CODE_RE = re.compile(r"^\d{2}(?:\.?\d{2}(?:\.?\d{2}(?:\.?\d{4})?)?)?$")
UNKNOWN_PART = "?"  # a placeholder level in a report code (`35.75.??`), see pipeline/reports/areas.py
UNKNOWN_NAME = "(wilayah tidak dikenal)"
ROUTED_LEVELS = ("kabupaten_kota", "kecamatan", "desa")

_PREFIXES = {
    "prov": ("PROVINSI", "PROPINSI", "PROV"),
    "kab": ("KABUPATEN", "KAB"),
    "kota": ("KOTAMADYA", "KOTA", "KOT"),
    "kec": ("KECAMATAN", "KEC"),
    "desa": ("KELURAHAN", "KEL", "DESA", "DS"),
}
_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("CH", "KH"), ("SJ", "SY"), ("NJ", "NY"))
_OCR_DIGITS = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z", "4": "A", "7": "T"})


def _upper_words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name or "").upper().translate(_OCR_DIGITS)
    return re.sub(r"[^A-Z]+", " ", text).split()


def _strip_prefix(words: list[str], kinds: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """Remove a leading administrative word (only when a name follows it); return (kind, rest)."""
    if len(words) > 1:
        for kind in kinds:
            if words[0] in _PREFIXES[kind]:
                return kind, words[1:]
    return None, words


@lru_cache(maxsize=65536)
def fold(name: str, kinds: tuple[str, ...] = ()) -> str:
    """Matching key of a name: prefixes of `kinds` removed, no spaces, old spellings modernised."""
    _, words = _strip_prefix(_upper_words(name), kinds)
    key = "".join(words)
    for old, new in _OLD_SPELLING:
        key = key.replace(old, new)
    return key


@lru_cache(maxsize=4096)
def _kabkota_kind_and_key(name: str) -> tuple[str | None, str]:
    kind, words = _strip_prefix(_upper_words(name), ("kab", "kota"))
    return kind, fold(" ".join(words))


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return fuzz.ratio(a, b) / 100.0


def plain_code(code: str) -> str:
    return code.replace(".", "").strip()


def dotted(code: str) -> str:
    """`3575021005` -> `35.75.02.1005` (a dotted code stays as it is)."""
    plain = plain_code(code)
    return ".".join(p for p in (plain[:2], plain[2:4], plain[4:6], plain[6:]) if p)


@dataclass(frozen=True)
class MatchRules:
    """The thresholds of config/wilayah/matching.yaml."""

    province_trust: float = 0.75
    route_min_score: float = 0.85

    @classmethod
    def load(cls, path: Path) -> MatchRules:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(data) - {"province_trust", "route_min_score"}
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)}")
        rules = cls(**{k: float(v) for k, v in data.items()})
        for name, value in (("province_trust", rules.province_trust), ("route_min_score", rules.route_min_score)):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{path}: {name} must be in (0, 1], not {value}")
        return rules


@dataclass(frozen=True)
class AreaMatch:
    """Best codes for an area (plain digits, no dots) with per-level scores 0..1; None where not found."""

    provinsi_code: str | None = None
    kabkota_code: str | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The weakest level that was asked for (0 when nothing matched)."""
        return min(self.scores.values()) if self.scores else 0.0


@dataclass(frozen=True)
class AreaRoute:
    """Where a registered area is filed (review queue, reports): its match, and whether it is trusted.

    `confident` is False when kabupaten/kota, kecamatan or desa was not found or scored below `min_score`;
    such a dossier is filed under `unknown` (pipeline.storage.keys.AreaCodes.from_route), never under the
    area that merely scored best.
    """

    match: AreaMatch
    min_score: float
    confident: bool

    @property
    def scores(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.match.scores.items()}


@dataclass
class Regions:
    names: dict[str, str]  # dotted code -> name as in the source
    children: dict[str, list[str]]  # dotted code of parent -> dotted codes of children ("" = provinces)
    rules: MatchRules = field(default_factory=MatchRules)

    @classmethod
    def load(cls, directory: Path | None = None) -> Regions:
        """Read the wilayah CSVs and the matching thresholds once per process (cached)."""
        return _load_cached(str(directory or WILAYAH_DIR))

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str]], rules: MatchRules | None = None) -> Regions:
        names: dict[str, str] = {}
        children: dict[str, list[str]] = {}
        for code, name in rows:
            plain = plain_code(code)
            key = dotted(plain)
            if key in names or len(plain) not in (2, 4, 6, 10) or not plain.isdigit():
                continue
            names[key] = name.strip()
            children.setdefault(key.rpartition(".")[0], []).append(key)
        return cls(names=names, children=children, rules=rules or MatchRules())

    # ---- codes and names -----------------------------------------------------------------------

    def name_of(self, code: str) -> str | None:
        """The name of a code as in the source (plain or dotted code); None when the code is not known."""
        return self.names.get(dotted(code))

    def name(self, code: str) -> str:
        """The name printed in reports: the source's name, UNKNOWN_NAME for a placeholder code
        (`35.75.??`), and the code itself when it is not in the table."""
        if UNKNOWN_PART in code:
            return UNKNOWN_NAME
        return self.names.get(dotted(code), code)

    def children_of(self, code: str) -> list[str]:
        """Dotted codes directly below `code` ("" = the provinces), in the source's order."""
        return list(self.children.get(dotted(code), []))

    def is_valid_kabkota_code(self, code: str) -> bool:
        return len(plain_code(code)) == 4 and dotted(code) in self.names

    def is_valid_kecamatan_code(self, code: str) -> bool:
        return len(plain_code(code)) == 6 and dotted(code) in self.names

    # ---- matching ------------------------------------------------------------------------------

    def _best(self, candidates: list[str], query: str, kinds: tuple[str, ...]) -> list[tuple[float, str]]:
        q = fold(query, kinds)
        scored = [(_similarity(q, fold(self.names[c], kinds)), c) for c in candidates]
        return sorted(scored, key=lambda t: (-t[0], t[1]))

    def _kabkota_candidates(self, parent_codes: list[str], query: str) -> list[tuple[float, str]]:
        kind, key = _kabkota_kind_and_key(query)
        scored = []
        for p in parent_codes:
            for c in self.children.get(p, []):
                c_kind, c_key = _kabkota_kind_and_key(self.names[c])
                s = _similarity(key, c_key)
                if kind is not None and c_kind is not None and kind != c_kind:
                    s *= 0.8  # KOTA X is not KAB. X, but an OCR slip in the prefix should not lose the match
                scored.append((s, c))
        return sorted(scored, key=lambda t: (-t[0], t[1]))

    def resolve_area(
        self,
        provinsi: str | None,
        kabupaten_kota: str | None,
        kecamatan: str | None = None,
        desa: str | None = None,
    ) -> AreaMatch:
        """Best codes for the names given, each level searched only inside the level above.

        A value that is already a code (e.g. "35.75" or "357502") is taken as it is when it exists.
        When the kab/kota name fits both KAB. X and KOTA X equally, the one whose kecamatan/desa fit best wins.
        A level whose name matches nothing (score 0, e.g. `-`) gets no code, and neither do the levels below.
        """
        scores: dict[str, float] = {}
        prov_codes = self.children.get("", [])
        prov: str | None = None
        if provinsi:
            prov, scores["provinsi"] = self._level(prov_codes, provinsi, ("prov",))
            if prov and scores["provinsi"] >= self.rules.province_trust:
                prov_codes = [prov]
            else:  # an unreadable province must not hide the right kab/kota: search them all
                prov, scores["provinsi"] = None, 0.0
        if not kabupaten_kota:
            return AreaMatch(provinsi_code=prov, scores=scores)
        if CODE_RE.match(kabupaten_kota.strip()) and self.is_valid_kabkota_code(kabupaten_kota):
            kab_options = [(1.0, dotted(kabupaten_kota))]
        else:
            ranked = [t for t in self._kabkota_candidates(prov_codes, kabupaten_kota) if t[0] > 0.0]
            top = ranked[0][0] if ranked else 0.0
            kab_options = [t for t in ranked[:4] if t[0] >= top - 0.05]
        if not kab_options:
            scores["kabupaten_kota"] = 0.0
            return AreaMatch(provinsi_code=prov, scores=scores)
        best: AreaMatch | None = None
        for kab_score, kab in kab_options:
            kec_code, desa_code, lower = self._resolve_below(kab, kecamatan, desa)
            s = dict(scores, kabupaten_kota=kab_score, **lower)
            prov_c, kab_c, kec_c, desa_c = (plain_code(c) if c else None
                                            for c in (kab.split(".")[0], kab, kec_code, desa_code))
            cand = AreaMatch(provinsi_code=prov_c, kabkota_code=kab_c, kecamatan_code=kec_c, desa_code=desa_c, scores=s)
            if provinsi and prov is None:
                cand.scores.pop("provinsi", None)
            if best is None or sum(cand.scores.values()) > sum(best.scores.values()):
                best = cand
        assert best is not None
        return best

    def route(self, provinsi: str | None, kabupaten_kota: str | None, kecamatan: str | None,
              desa: str | None) -> AreaRoute:
        """Where a registered area is filed: confident only when kab/kota, kecamatan and desa each match
        at or above `route_min_score` (the province is implied by the kab/kota code)."""
        match = self.resolve_area(provinsi, kabupaten_kota, kecamatan, desa)
        floor = self.rules.route_min_score
        confident = (
            None not in (match.kabkota_code, match.kecamatan_code, match.desa_code)
            and all(match.scores.get(level, 0.0) >= floor for level in ROUTED_LEVELS)
        )
        return AreaRoute(match=match, min_score=floor, confident=confident)

    def _level(self, candidates: list[str], query: str, kinds: tuple[str, ...]) -> tuple[str | None, float]:
        q = query.strip()
        if CODE_RE.match(q) and dotted(q) in candidates:
            return dotted(q), 1.0
        ranked = self._best(candidates, q, kinds)
        if not ranked or ranked[0][0] <= 0.0:  # nothing in common (`-`, `?`): no code, not the first in the list
            return None, 0.0
        return ranked[0][1], ranked[0][0]

    def _resolve_below(self, kab: str, kecamatan: str | None, desa: str | None
                       ) -> tuple[str | None, str | None, dict[str, float]]:
        """(kecamatan code, desa code, scores) below the dotted kab/kota code `kab`."""
        scores: dict[str, float] = {}
        if not kecamatan:
            return None, None, scores
        kec, scores["kecamatan"] = self._level(self.children.get(kab, []), kecamatan, ("kec",))
        if not desa:
            return kec, None, scores
        if kec is None:
            scores["desa"] = 0.0
            return None, None, scores
        ds, scores["desa"] = self._level(self.children.get(kec, []), desa, ("desa",))
        return kec, ds, scores


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> Regions:
    folder = Path(directory)
    rows: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                rows.append((rec["kode"].strip(), rec["nama"].strip()))
    rules_file = folder / MATCHING_FILE
    rules = MatchRules.load(rules_file if rules_file.exists() else WILAYAH_DIR / MATCHING_FILE)
    return Regions.from_rows(rows, rules)
