"""httpx, loaded on first use: `check` and the $0 rerun send nothing, and importing httpx
(with httpcore, h11, idna, certifi) is about a tenth of a second of `check` on 100k rows.

`importlib.util.LazyLoader` is not thread-safe before Python 3.12.3, so `Session` touches the
module once in the thread that builds it, before any worker thread can.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name`, executed on its first attribute access (the module itself if already loaded)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # not installed: fail as `import name` would
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
