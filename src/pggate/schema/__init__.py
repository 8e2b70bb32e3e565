"""Catalog snapshot -> canonical JSON, fingerprint, structural diff."""
