"""Where the Python API keeps its counts: the per-user count store, as the command line does.

With no `store=`, `batchcount.count` uses the same store as `batchcount run` (BATCHCOUNT_STORE,
else counts.sqlite in the platform's user data folder: see `store.location`), so rerunning a
notebook cell, the same segments in another table, or the command line's run never pays twice
for an answer within --max-age. `store=` names another store file, or a folder to keep
`counts.sqlite` in.
"""

from __future__ import annotations

import os
from pathlib import Path

from batchcount.errors import UsageError
from batchcount.store.location import FILE_NAME

__all__ = ["chosen_store"]


def chosen_store(store: str | os.PathLike[str]) -> Path:
    """`store=`: a count store file, or a folder to keep `counts.sqlite` in."""
    path = Path(store).expanduser()
    if path.is_dir():
        path = path / FILE_NAME
    if not path.parent.is_dir():
        raise UsageError(f"store={str(store)!r}: the folder {path.parent} does not exist.")
    return path
