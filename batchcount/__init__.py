"""batchcount: size sales audiences in bulk with Generect's lead-count API.

From Python (a notebook, a script)::

    import batchcount
    report = batchcount.check(df)           # free: mapping, problems, estimate
    out = batchcount.count(df, yes=True)    # counts; returns a polars DataFrame

`read`, `check` and `count` take a polars or pandas DataFrame, a list of dicts or a path.
Errors are the typed exceptions below, with the command line's messages. The functions and
result types load on first use, so `import batchcount` stays instant.
"""

from __future__ import annotations

import batchcount.read as _read_layer  # the reading layer (empty __init__: costs nothing)
from batchcount.errors import (
    BatchcountError,
    ConfirmationRequired,
    InputFileError,
    JournalError,
    NotConfirmed,
    OutputFileError,
    RunStopped,
    StopRun,
    UsageError,
)

# Not `from typing import TYPE_CHECKING`: typing costs more to import than all of this file.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from batchcount.api.check import CheckReport
    from batchcount.api.count import count
    from batchcount.api.quote import Quote
    from batchcount.api.read import check, read
    from batchcount.net.runner import Progress
    from batchcount.plan.estimate import Estimate

__version__ = "0.1.0"

__all__ = [
    "BatchcountError",
    "CheckReport",
    "ConfirmationRequired",
    "Estimate",
    "InputFileError",
    "JournalError",
    "NotConfirmed",
    "OutputFileError",
    "Progress",
    "Quote",
    "RunStopped",
    "StopRun",
    "UsageError",
    "__version__",
    "check",
    "count",
    "read",
]


class _Read:
    """`batchcount.read`: call it to read segments (`batchcount.api.read.read`, documented
    there); its attributes are the reading layer's modules (`batchcount.read.sheet`, ...).

    The subpackage `batchcount/read/` and the public function share a name. Importing the
    subpackage binds the name once, here, first; then this object takes the name and forwards
    attribute access (and `import batchcount.read.sheet as s`, mock.patch paths) to it.
    """

    def __init__(self, package: Any) -> None:
        object.__setattr__(self, "_package", package)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from batchcount.api.read import read as read_segments

        return read_segments(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "__wrapped__":  # inspect.signature() and help() show the function's
            from batchcount.api.read import read as read_segments

            return read_segments
        return getattr(self._package, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._package, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._package, name)

    def __repr__(self) -> str:
        return "<function batchcount.read (and the package batchcount.read)>"


if not TYPE_CHECKING:
    read = _Read(_read_layer)

# name -> module that defines it: imported on first access (PEP 562), so neither the command
# line nor `import batchcount` pays for polars, httpx or openpyxl before they are needed.
_LAZY = {
    "count": "batchcount.api.count",
    "check": "batchcount.api.read",
    "CheckReport": "batchcount.api.check",
    "Quote": "batchcount.api.quote",
    "Estimate": "batchcount.plan.estimate",
    "Progress": "batchcount.net.runner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'batchcount' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
