"""Storage: SQLAlchemy models, Alembic migrations, and the read/write functions."""
