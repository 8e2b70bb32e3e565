"""pggate: apply PostgreSQL / Supabase migrations and prove the result before promotion."""

__version__ = "0.1.0"
