"""Alembic migrations; run with ``stoop db upgrade``."""
