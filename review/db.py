"""The review app's own database: accounts, sessions, claims and decisions, through SQLAlchemy 2.

A SQLite file is the embedded default (no server: `make demo`, `berkas review serve --demo`), PostgreSQL the
choice for deployments (BERKAS_REVIEW_DATABASE_URL=postgresql+psycopg://...). The schema is Alembic's
(`review/migrations`): `berkas review migrate` applies it, and `berkas review serve` refuses to start while
it is not current (self-check item `review_db`). Flags, results and originals stay in the object store, the
pipeline's source of truth.

Writes run in `ReviewDB.write()`: one transaction, and on SQLite one that takes the write lock at BEGIN
(`BEGIN IMMEDIATE`), so two writers never both read-then-upgrade and fail; PostgreSQL serialises the
conditional updates the claim code relies on by row locks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_SUFFIX = ".review.sqlite3"


class ReviewDBError(RuntimeError):
    """The review database cannot be used (unreachable, or its schema is not current); message in Bahasa."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"})


class AccountRow(Base):
    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    area: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    nik_access: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(32))


class SessionRow(Base):
    __tablename__ = "sessions"

    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's session id
    username: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.username", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClaimRow(Base):
    __tablename__ = "claims"

    dossier_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionRow(Base):
    """Every decision ever made (MS, TMS, DOCS_REQUESTED with its documents); the latest per dossier counts."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_dossier_latest", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    dossier_id: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    documents: Mapped[list] = mapped_column(JSON, default=list)
    by: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))
    at: Mapped[str] = mapped_column(String(32))
    result_processed_at: Mapped[str | None] = mapped_column(String(40))
    result_status: Mapped[str | None] = mapped_column(String(20))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    overrides: Mapped[list] = mapped_column(JSON, default=list)
    grounds: Mapped[list] = mapped_column(JSON, default=list)

    def to_json(self) -> dict[str, Any]:
        """The decision as the app and the audit trail show it (the shape of the former decision object)."""
        return {"dossier_id": self.dossier_id, "decision": self.decision, "reason": self.reason,
                "documents": list(self.documents or []), "by": self.by, "role": self.role, "at": self.at,
                "result_processed_at": self.result_processed_at, "result_status": self.result_status,
                "override": bool(self.override), "overrides": list(self.overrides or []),
                "grounds": list(self.grounds or [])}


def latest_decision(s: Session, dossier_id: str) -> DecisionRow | None:
    """The dossier's latest decision row (the highest id), or None."""
    return s.scalars(select(DecisionRow).where(DecisionRow.dossier_id == dossier_id)
                     .order_by(DecisionRow.id.desc()).limit(1)).first()


def latest_decisions(s: Session, dossier_ids: Iterable[str] | None = None) -> dict[str, DecisionRow]:
    """The latest decision row of each of `dossier_ids` that has one (of every dossier when None)."""
    stmt = select(DecisionRow).order_by(DecisionRow.dossier_id, DecisionRow.id)
    if dossier_ids is not None:
        ids = list(dossier_ids)
        if not ids:
            return {}
        stmt = stmt.where(DecisionRow.dossier_id.in_(ids))
    return {r.dossier_id: r for r in s.scalars(stmt)}  # ordered by id: the last one stays


class QueueRowRow(Base):
    """One flagged dossier in the review queue, derived from its flag object (and its latest decision):
    `berkas review reindex` makes every row again from the store."""

    __tablename__ = "queue_rows"
    __table_args__ = (Index("ix_queue_rows_area", "kab", "kec", "desa", "tps", "decided", "status", "flagged_at",
                            "dossier_id"),
                      Index("ix_queue_rows_flagged", "flagged_at", "dossier_id"),
                      Index("ix_queue_rows_open", "decided", "kab", "kec", "flagged_at"))

    dossier_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kab: Mapped[str | None] = mapped_column(String(20))
    kec: Mapped[str | None] = mapped_column(String(20))
    desa: Mapped[str | None] = mapped_column(String(20))
    tps: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    status_order: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    first_reason: Mapped[str] = mapped_column(String(60))  # the smallest reason code ("~" for none): a sort key
    missing: Mapped[list] = mapped_column(JSON, default=list)
    flagged_at: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text, default="")  # the registered name, normalised (pipeline.names)
    decision: Mapped[str | None] = mapped_column(String(20))
    decided_for: Mapped[str | None] = mapped_column(String(40))
    decided: Mapped[bool] = mapped_column(Boolean, default=False)  # the decision is on the current result


class QueueReasonRow(Base):
    __tablename__ = "queue_reasons"
    __table_args__ = (Index("ix_queue_reasons_reason", "reason", "dossier_id"),
                      Index("ix_queue_reasons_area", "kab", "kec", "desa", "tps", "decided", "reason"))

    dossier_id: Mapped[str] = mapped_column(String(80), ForeignKey("queue_rows.dossier_id", ondelete="CASCADE"),
                                            primary_key=True)
    reason: Mapped[str] = mapped_column(String(60), primary_key=True)
    # the row's scope and state again (kept equal to the row's), so the counts by reason need no join
    kab: Mapped[str | None] = mapped_column(String(20))
    kec: Mapped[str | None] = mapped_column(String(20))
    desa: Mapped[str | None] = mapped_column(String(20))
    tps: Mapped[str | None] = mapped_column(String(8))
    decided: Mapped[bool] = mapped_column(Boolean, default=False)


def affected(result: Any) -> int:
    """Rows an INSERT, UPDATE or DELETE touched (a CursorResult's rowcount; 0 when the driver cannot say)."""
    return int(getattr(result, "rowcount", 0) or 0)


def utc(value: datetime) -> datetime:
    """A timestamp read back from the database as aware UTC (SQLite returns naive datetimes)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def default_url(store: str, store_path: Path) -> str:
    """The embedded default: a SQLite file beside a local store (`var/store` -> `var/store.review.sqlite3`),
    under var/ for an S3 store."""
    if store == "local":
        path = store_path.parent / f"{store_path.name}{SQLITE_SUFFIX}"
    else:
        path = Path("var") / f"review{SQLITE_SUFFIX}"
    return f"sqlite:///{path}"


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


class ReviewDB:
    """An engine over the review database and the two ways to use it: `read()` and `write()` sessions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kw: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kw["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kw.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(url, **kw)
        if self.dialect == "sqlite":
            _sqlite_transactions(self.engine)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(berkas_write=True), expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self._writer() as session, session.begin():
            yield session

    def migrate(self) -> str | None:
        """Apply every pending migration; returns the revision the database is now at."""
        from review.migrate import upgrade

        return upgrade(self)

    def check_current(self) -> str:
        """The current revision, or ReviewDBError when the database is unreachable or behind."""
        from review.migrate import status

        return status(self)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_transactions(engine: Engine) -> None:
    """pysqlite's own transaction handling off; BEGIN IMMEDIATE for writes, plain BEGIN for reads, foreign keys
    on, WAL so that readers do not wait for a writer."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("berkas_write") else "BEGIN")


_OPEN: dict[str, ReviewDB] = {}
_OPEN_LOCK = threading.Lock()


def open_db(url: str) -> ReviewDB:
    """The process's one ReviewDB for `url` (engines and their pools are shared)."""
    with _OPEN_LOCK:
        db = _OPEN.get(url)
        if db is None:
            db = _OPEN[url] = ReviewDB(url)
        return db


__all__ = ["AccountRow", "Base", "ClaimRow", "DecisionRow", "QueueReasonRow", "QueueRowRow", "ReviewDB", "ReviewDBError", "SessionRow",
           "affected", "default_url", "describe", "open_db", "utc"]
