"""Alembic environment: run against the engine the application hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from evidence.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Online migrations only: an engine is always available."""
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine given and no sqlalchemy.url configured")
        engine = create_engine(url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
