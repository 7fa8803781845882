"""Storage: SQLAlchemy models, Alembic migrations, idempotent upserts and read queries."""
