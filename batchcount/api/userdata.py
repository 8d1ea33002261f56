"""Where the Python API keeps its journal when no output file names one: the user's folder.

One journal for every in-memory run (keyed by segment, like the command line's), so rerunning
a notebook cell, or the same segments in another DataFrame, never pays twice for an answer.
The per-user count store (issue 11) takes this role over.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from batchcount.errors import UsageError

__all__ = ["JOURNAL_NAME", "chosen_journal", "default_journal", "user_folder"]

JOURNAL_NAME = "python.journal.sqlite"


def user_folder() -> Path:
    """The per-user data folder: XDG_DATA_HOME (~/.local/share), Application Support on a
    Mac, LOCALAPPDATA on Windows; `batchcount` inside it."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(home / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(base) / "batchcount"


def default_journal() -> Path:
    folder = user_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create {folder} for the journal ({exc.strerror or exc}); pass store= "
            "the path of a journal file in a writable folder."
        ) from None
    return folder / JOURNAL_NAME


def chosen_journal(store: str | os.PathLike[str]) -> Path:
    """`store=`: a journal file, or a folder to keep `python.journal.sqlite` in."""
    path = Path(store).expanduser()
    if path.is_dir():
        path = path / JOURNAL_NAME
    if not path.parent.is_dir():
        raise UsageError(f"store={str(store)!r}: the folder {path.parent} does not exist.")
    return path
