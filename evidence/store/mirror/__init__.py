"""The local PubMed mirror's tables and queries (see docs/mirror.md)."""
