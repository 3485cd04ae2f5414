"""Alembic migrations of the memsvc schema (valid on SQLite and PostgreSQL)."""
