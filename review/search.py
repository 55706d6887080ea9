"""Finding a dossier in the queue by the candidate's name (fuzzy) or NIK (exact, through the keyed NIK index).

The queue table keeps each dossier's registered name, normalised (`queue_rows.name`). A name search asks the
database for candidates (PostgreSQL: trigram similarity through `pg_trgm`, or any word of the query; SQLite:
a LIKE on any word; pg_trgm's `%` operator, which the trigram index of migration 0002 serves, at pg_trgm's
similarity threshold, 0.3 by default) and ranks them by rapidfuzz's WRatio, keeping those that score at least
MIN_NAME_SCORE. A NIK search asks the duplicate-NIK index (`pipeline.dupindex`: keyed hashes, never the NIK
itself) which dossiers hold it. Both are POSTed by the page: a name or NIK never appears in a URL or a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement

from pipeline.dupindex import DuplicateIndex
from pipeline.names import normalise_name
from pipeline.storage.base import ObjectStore

MIN_NAME_SCORE = 75  # rapidfuzz WRatio of the normalised names: "siti rahayu" finds "SITI RAHAYI"
NIK_RE = re.compile(r"^\d{16}$")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class NameSearch:
    wanted: str  # normalised

    def candidates(self, dialect: str, column) -> ColumnElement[bool]:
        """The SQL condition that narrows rows to possible matches (ranked afterwards by `rank`)."""
        words = [w for w in self.wanted.split() if len(w) >= 3] or self.wanted.split()
        if not words:
            return false()
        likes = [column.like(f"%{_like_escape(w)}%", escape="\\") for w in words]
        if dialect == "postgresql":
            return or_(func_similarity(column, self.wanted), *likes)
        return or_(*likes)

    def rank(self, rows: list[tuple[str, str, str]]) -> list[str]:
        """(dossier id, name, flagged at) -> the ids that match closely enough, best first."""
        scored = []
        for dossier_id, name, flagged_at in rows:
            score = fuzz.WRatio(self.wanted, name or "")
            if score >= MIN_NAME_SCORE:
                scored.append((-score, flagged_at, dossier_id))
        scored.sort()
        return [t[2] for t in scored]


def func_similarity(column, text: str) -> ColumnElement[bool]:
    """`name % text`: pg_trgm's similarity at least `pg_trgm.similarity_threshold` (0.3 unless set), answered
    from the GIN trigram index (`similarity(name, text) >= 0.3` says the same but reads every row)."""
    return column.op("%")(text)


@dataclass(frozen=True)
class NikSearch:
    holders: frozenset[str]


def by_name(query: str) -> NameSearch:
    return NameSearch(normalise_name(query))


def by_nik(store: ObjectStore, secret: bytes, nik: str) -> NikSearch:
    """The dossiers that hold exactly this NIK (registration or KTP); ValueError for a malformed NIK."""
    digits = re.sub(r"[\s.\-]", "", nik or "")
    if not NIK_RE.match(digits):
        raise ValueError("NIK harus 16 angka.")
    return NikSearch(frozenset(DuplicateIndex(store, secret).holders(digits)))
