"""Alembic, driven from code: `upgrade(db)` applies the migrations in review/migrations, `status(db)` says
whether the database is at the newest one (what `berkas review serve` requires before it starts)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from review.db import MIGRATIONS, ReviewDB, ReviewDBError, describe


def _config(db: ReviewDB) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def head() -> str | None:
    """The newest revision shipped with this version of Berkas."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def upgrade(db: ReviewDB, revision: str = "head") -> str | None:
    cfg = _config(db)
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as e:
        raise ReviewDBError(f"basis data review {describe(db.url)} tidak dapat dimigrasi: {e.__class__.__name__}: "
                            f"{str(e).splitlines()[0]}") from e
    return current(db)


def current(db: ReviewDB) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def status(db: ReviewDB) -> str:
    """The current revision when it is the newest; ReviewDBError (one line, what to run) otherwise."""
    try:
        now = current(db)
    except SQLAlchemyError as e:
        raise ReviewDBError(f"basis data review {describe(db.url)} tidak dapat dibuka ({e.__class__.__name__}: "
                            f"{str(e).splitlines()[0]})") from e
    newest = head()
    if now != newest:
        raise ReviewDBError(f"basis data review {describe(db.url)} di revisi {now or 'kosong'}, terbaru {newest}: "
                            "jalankan `berkas review migrate`")
    return str(now)
