"""Alembic's environment for the review database: run from review/migrate.py with an open connection
(or, for `alembic revision --autogenerate` by hand, from the URL in the config)."""

from alembic import context
from sqlalchemy import create_engine

from review.db import Base

config = context.config
target = Base.metadata


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
