"""Shared fixtures: a private count store for every test; small input files written into the
test's tmp_path."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

MakeFile = Callable[..., Path]


@pytest.fixture(autouse=True, scope="session")
def session_count_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store for module- and session-scoped fixtures, which start before the per-test one:
    nothing a test starts may ever use the real store in the user's data folder."""
    store = tmp_path_factory.mktemp("session-store") / "counts.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BATCHCOUNT_STORE", str(store))
        yield store


@pytest.fixture(autouse=True)
def private_count_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test (and every CLI it starts: subprocesses inherit the environment) gets its own
    count store, never the real one in the user's data folder; and no real API key or base."""
    store = tmp_path_factory.mktemp("store") / "counts.sqlite"
    monkeypatch.setenv("BATCHCOUNT_STORE", str(store))
    monkeypatch.delenv("GENERECT_API_KEY", raising=False)
    monkeypatch.delenv("GENERECT_API_BASE", raising=False)
    return store


@pytest.fixture
def make_xlsx(tmp_path: Path) -> MakeFile:
    """make_xlsx(rows, name="input.xlsx", sheet="Sheet1") -> path of a one-sheet workbook.

    `rows` are lists of cell values (str, int, float, bool, datetime or None), header first.
    """

    def make(
        rows: Sequence[Sequence[Any]], name: str = "input.xlsx", sheet: str = "Sheet1"
    ) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for row in rows:
            ws.append(list(row))
        path = tmp_path / name
        wb.save(path)
        return path

    return make


@pytest.fixture
def make_csv(tmp_path: Path) -> MakeFile:
    """make_csv(rows, name="input.csv", delimiter=",", encoding="utf-8") -> path of a CSV file."""

    def make(
        rows: Sequence[Sequence[str]],
        name: str = "input.csv",
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            csv.writer(handle, delimiter=delimiter).writerows(rows)
        return path

    return make
