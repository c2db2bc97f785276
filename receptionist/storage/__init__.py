"""Records: SQLAlchemy tables, tenant-scoped repositories and Alembic migrations."""
