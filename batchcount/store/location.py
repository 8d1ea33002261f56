"""Where the count store lives: --store PATH, else BATCHCOUNT_STORE, else the platform's user
data folder (~/.local/share/batchcount on Linux, ~/Library/Application Support/batchcount on
macOS, %LOCALAPPDATA%\\batchcount on Windows)."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "BATCHCOUNT_STORE"
FILE_NAME = "counts.sqlite"


def default_store() -> Path:
    from platformdirs import user_data_path

    return user_data_path("batchcount", appauthor=False) / FILE_NAME


def store_location(given: Path | str | None = None) -> Path:
    """The store to use: the option, else the env variable, else the user data folder."""
    if given is not None and str(given).strip():
        return Path(given).expanduser()
    env = os.environ.get(ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return default_store()
