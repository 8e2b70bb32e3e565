"""The Supabase linter mapping in docs/checks.md names real checks and every lint."""

from pggate.checks import load_all
from pggate.checks.base import REGISTRY
from pggate.checks.splinter import LINTS

load_all()

# Lints pggate deliberately does not cover; each says why in its note.
NOT_COVERED = {"0005", "0020"}


def test_every_lint_of_the_catalogue_is_listed_once():
    numbers = [lint.number for lint in LINTS]
    assert numbers == [f"{n:04d}" for n in range(1, 30)]


def test_every_mapped_id_is_a_registered_check():
    for lint in LINTS:
        for check_id in lint.ids:
            assert check_id in REGISTRY, (lint.number, check_id)


def test_uncovered_lints_are_exactly_the_deliberate_ones_and_say_why():
    assert {lint.number for lint in LINTS if not lint.ids} == NOT_COVERED
    for lint in LINTS:
        if not lint.ids:
            assert lint.note.startswith("not covered:"), lint.number
