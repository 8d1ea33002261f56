"""An earlier batchcount output, for `run --compare PREVIOUS.xlsx`.

Only the Results sheet's `request`, `results_count`, `status`, `counted_at` and `source_row`
columns (and one label column) are loaded, through calamine: a 100k-row output reads in about
a second. Result columns are found by name, the last of each name (they follow the input's own
columns, which may reuse a name). The file gets the same safety checks as an input (zip
bombs, damaged or encrypted files) and everything that is wrong is a clear error before
anything is sent.
"""

from __future__ import annotations

import logging
import math
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchcount.errors import InputFileError, UsageError

logging.getLogger("calamine").addHandler(logging.NullHandler())

RESULTS_SHEET = "Results"
REQUIRED = ("request", "results_count")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_WHAT = "the .xlsx workbook that an earlier `batchcount run` wrote (its default output)"


@dataclass(frozen=True)
class PreviousRow:
    line: int  # the row in the previous Results sheet (header = row 1)
    source_row: int | None  # that run's input row number, when the column is there
    request: str  # the JSON body as written there ("" if none)
    results_count: int | None
    status: str  # "ok", "invalid", "failed", "skipped"; "ok" if the column is missing
    counted_at: datetime | None  # aware, UTC
    label: str  # the cell of the label column named by the caller, "" if none


@dataclass(frozen=True)
class PreviousOutput:
    path: Path
    rows: list[PreviousRow]
    mode: str | None  # from its Summary sheet, None if unknown
    test_mode: bool | None  # from its Summary sheet, None if unknown


def check_previous_path(path: Path) -> None:
    """The cheap checks, before the input is read: the file exists and is not a text file."""
    flag = f"--compare {path}"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(
            f"{flag}: the file does not exist; give {_WHAT}, e.g. segments.counted.xlsx"
        ) from None
    except OSError as exc:
        raise InputFileError(f"{flag}: cannot open it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{flag} is a folder; give {_WHAT}")
    if info.st_size == 0:
        raise InputFileError(f"{flag} is empty (0 bytes); give {_WHAT}")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputFileError(
            f"{flag}: cannot read it ({exc.strerror or exc}); close it in any program that "
            "locks it and retry"
        ) from None
    if head.startswith(_ZIP_MAGIC):
        return
    if head.startswith(_OLE_MAGIC):
        raise InputFileError(
            f"{flag} is an Excel 97-2003 (.xls) workbook, which batchcount never writes; "
            f"give {_WHAT}"
        )
    if path.suffix.lower() in _TEXT_SUFFIXES or _looks_like_text(head):
        raise UsageError(
            f"{flag} is a text (CSV) file: --compare reads the Results sheet of {_WHAT}. "
            "A CSV output cannot be compared; rerun that sizing with an .xlsx output "
            "(-o NAME.xlsx) and compare with that."
        )
    raise InputFileError(f"{flag} is not an Excel workbook; give {_WHAT}")


def _looks_like_text(head: bytes) -> bool:
    return b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def read_previous(path: Path, label_header: str | None = None) -> PreviousOutput:
    """Read the Results rows of an earlier output. `label_header`: a column (of this run's
    input) to name rows by, read too when the previous output has it."""
    from batchcount.read.safety import inspect_zip

    check_previous_path(path)
    flag = f"--compare {path}"
    fmt = inspect_zip(path, flag, path.suffix.lower())
    if fmt not in ("xlsx", "xlsm"):
        raise InputFileError(
            f"{flag} is an {fmt} file, which batchcount never writes; give {_WHAT}"
        )
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
        if RESULTS_SHEET not in names:
            shown = ", ".join(names[:8]) or "none"
            raise InputFileError(
                f"{flag} is not a batchcount output: it has no {RESULTS_SHEET!r} sheet "
                f"(sheets: {shown}); give {_WHAT}, not the input sheet"
            )
        table = _Table.load(reader, label_header)
    except (InputFileError, UsageError):
        raise
    except Exception as exc:  # calamine raises several types; all mean "cannot read"
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputFileError(
            f"{flag} could not be read ({detail}); open it in Excel, save it again and retry"
        ) from None
    missing = [name for name in REQUIRED if name not in table.where]
    if missing:
        raise InputFileError(
            f"{flag} is not a batchcount output: its Results sheet has no "
            f"{' or '.join(repr(m) for m in missing)} column; give {_WHAT} (not the input "
            "sheet, and not a copy whose columns were renamed or removed)"
        )
    mode, test_mode = _summary(reader, names)
    return PreviousOutput(path, table.rows(), mode, test_mode)


_WANTED = ("request", "results_count", "status", "counted_at", "source_row")


class _Table:
    """The wanted columns of the Results sheet, in ONE pass of calamine over the sheet (it
    parses the whole sheet on every load, so the header is not read separately): a callable
    picks them by header as calamine meets them. Repeated headers come back renamed
    ("status_1"); a result column is the last of its name, as it follows the input's own."""

    def __init__(self, columns: dict[int, list[Any]], where: dict[str, int], height: int) -> None:
        self.columns = columns  # column index -> cells (text or None)
        self.where = where  # result column / "label" -> column index
        self.height = height

    @classmethod
    def load(cls, reader: Any, label_header: str | None) -> _Table:
        seen: list[tuple[int, str]] = []

        def pick(info: Any) -> bool:
            name = str(info.name)
            keep = _base(name) in _WANTED or name == label_header
            if keep:
                seen.append((int(info.index), name))
            return keep

        sheet = reader.load_sheet(RESULTS_SHEET, header_row=0, use_columns=pick, dtypes="string")
        frame = sheet.to_polars()
        seen.sort()
        columns = {index: frame.to_series(i).to_list() for i, (index, _) in enumerate(seen)}
        where: dict[str, int] = {}
        for index, name in seen:
            if _base(name) in _WANTED:
                where[_base(name)] = index  # in column order: the last of each name wins
        first_result = min(where.values(), default=0)
        labels = [i for i, name in seen if name == label_header and i < first_result]
        if labels:
            where["label"] = labels[0]
        return cls(columns, where, frame.height)

    def column(self, name: str) -> list[Any]:
        index = self.where.get(name)
        return self.columns[index] if index is not None else [None] * self.height

    def rows(self) -> list[PreviousRow]:
        has_status = "status" in self.where
        out: list[PreviousRow] = []
        for i, (request, count, status, when, source_row, label) in enumerate(
            zip(
                self.column("request"),
                self.column("results_count"),
                self.column("status"),
                self.column("counted_at"),
                self.column("source_row"),
                self.column("label"),
                strict=True,
            )
        ):
            number = _whole(count)
            if has_status:
                state = (status or "").strip().lower()
            else:  # an output without the column: a count means it was answered
                state = "ok" if number is not None else ""
            out.append(
                PreviousRow(
                    line=i + 2,
                    source_row=_whole(source_row),
                    request=(request or "").strip(),
                    results_count=number,
                    status=state,
                    counted_at=_when(when),
                    label=(label or "").strip(),
                )
            )
        return out


_RENAMED = re.compile(r"(.+)_\d+")


def _base(name: str) -> str:
    """The header calamine renamed a repeated one from ("status_1" -> "status")."""
    if name in _WANTED:
        return name
    renamed = _RENAMED.fullmatch(name)
    return renamed.group(1) if renamed else name


def _whole(text: Any) -> int | None:
    """An integer from a cell's text ("2314", "2314.0"), else None."""
    if not text:
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _when(text: Any) -> datetime | None:
    """A date-time cell as calamine writes it as text ("2026-11-03 14:05:09.123"), in UTC
    (batchcount writes `counted_at` in UTC); None for anything else."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).strip()).replace(tzinfo=UTC)
    except ValueError:
        return None


def _summary(reader: Any, names: list[str]) -> tuple[str | None, bool | None]:
    """(mode, test mode) from the Summary sheet; (None, None) when it cannot tell."""
    if "Summary" not in names:
        return None, None
    try:
        table = reader.load_sheet(
            "Summary", header_row=None, use_columns=[0, 1], dtypes="string"
        ).to_polars()
    except Exception:  # the Summary is a nicety here: the Results rows are what matters
        return None, None
    values = {
        str(a).strip(): str(b or "").strip()
        for a, b in zip(table.to_series(0), table.to_series(1), strict=True)
        if a is not None
    }
    mode = values.get("Mode") or None
    flag = values.get("Test mode")
    test_mode = None if flag is None else flag.lower().startswith("yes")
    return mode, test_mode
