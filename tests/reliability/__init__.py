"""Reliability: crashes, cut connections, races, lock waits, hostile input, secrets."""
