"""Access policies of the later areas, one module per area, merged into the access matrix.

Each module defines `POLICY` (endpoint → cases, as in tests/test_access_matrix.py) and may
define `RECORD_KINDS` (names usable as `{kind}` in path templates) and
`records(world, relation) -> dict` giving the record of each kind in that relation to the
acting user. A body builder receives `(world, card)`; `world.current` holds all the records
of the case being run.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def area_modules() -> list[ModuleType]:
    """Every policy module in this package, in name order."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]
