"""docs/configuration.md describes every key of the tenancy and actor model (issue 20)."""

from pathlib import Path

import pytest

from pggate.checks.isolation import IsolationConfig
from pggate.config.models import Actor, Tenancy

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
SECTIONS = {"actor": "`[tenancy.actor]`", "actors": "`[[tenancy.actors]]`"}


@pytest.mark.parametrize("model", [Tenancy, Actor, IsolationConfig], ids=lambda m: m.__name__)
def test_every_tenancy_actor_and_isolation_key_is_documented(model):
    missing = [
        key
        for key in model.model_fields
        if f"| `{key}` |" not in DOC and SECTIONS.get(key, "\0") not in DOC
    ]
    assert not missing, f"docs/configuration.md lacks {missing} of {model.__name__}"
