"""Records: SQLAlchemy tables, tenant-scoped repositories and Alembic migrations.

Import from the modules: ``database.Database`` (engine, sessions, ``migrate()``), ``repository`` (the
repositories and their errors), ``records`` (the typed values they take and return). This package
imports nothing itself, so code that needs only the records does not load SQLAlchemy.
"""
