"""The public surface of tidegate.ledger is exactly what __all__ names."""

from __future__ import annotations

from types import ModuleType

import tidegate.ledger


def test_all_names_exist_and_nothing_else_is_exported() -> None:
    exported = {name for name in dir(tidegate.ledger) if not name.startswith("_")}
    submodules = {
        name for name in exported if isinstance(getattr(tidegate.ledger, name), ModuleType)
    }
    assert set(tidegate.ledger.__all__) == exported - submodules
    assert all(getattr(tidegate.ledger, name) is not None for name in tidegate.ledger.__all__)
