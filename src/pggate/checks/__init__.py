"""The gates: a package per gate (``rls/``, ``fk/``, ...), a module per check id.

``load_all()`` imports every gate package so ``base.REGISTRY`` holds every check.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every gate package (each imports its check modules, which register)."""
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")
