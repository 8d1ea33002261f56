"""What an Excel 97-2003 (.xls) sheet says that calamine does not: error cells, merged ranges,
hidden rows and date/percent formats, read with xlrd (the reference .xls reader).

calamine reads the values; xlrd's formatting pass supplies the rest. An .xls holds at most
65,536 rows, so the second pass costs about a second at worst.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from batchcount.errors import InputFileError
from batchcount.read import numfmt
from batchcount.read.overlay import Merged, Overlay, count_note, error_problem, merged_ref

_ERROR = 5
_NUMBER = 2
_DATE = 3


class _NoStrings:
    """Stands in for the shared-string table: the overlay never reads text cells."""

    def __getitem__(self, index: object) -> str:
        return ""


def _skip_strings(book: Any, data: bytes) -> None:
    book._sharedstrings = _NoStrings()


@contextmanager
def _without_strings() -> Iterator[None]:
    """xlrd asserts that the shared-string table holds the count it declares; files that
    Excel and calamine read fine break that (tafia/calamine#548). The overlay needs no
    strings, so xlrd skips the table for this parse (text comes from calamine)."""
    import xlrd.book

    original = xlrd.book.Book.handle_sst
    xlrd.book.Book.handle_sst = _skip_strings
    try:
        yield
    finally:
        xlrd.book.Book.handle_sst = original


def _open(path: Path, formatting: bool) -> Any:
    import xlrd

    with open(os.devnull, "w") as quiet, _without_strings():  # quiet: xlrd's warnings
        return xlrd.open_workbook(
            str(path), formatting_info=formatting, on_demand=True, logfile=quiet
        )


def xls_overlay(path: Path, name: str, sheet_name: str, rows: Sequence[list[str]]) -> Overlay:
    try:
        book = _open(path, formatting=True)
        with _without_strings():
            try:
                sheet = book.sheet_by_name(sheet_name)
                return _overlay(book, sheet, rows)
            finally:
                book.release_resources()
    except InputFileError:
        raise
    except Exception as exc:  # xlrd raises many kinds for damaged files
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputFileError(
            f"{name}: its merged cells, error cells, hidden rows and formats cannot be checked "
            f"({detail}), so its values cannot be trusted; open it in Excel or LibreOffice and "
            "save it as .xlsx, then retry"
        ) from None


def _overlay(book: Any, sheet: Any, rows: Sequence[list[str]]) -> Overlay:
    import xlrd

    overlay = Overlay()
    height = min(sheet.nrows, len(rows))
    for rlo, rhi, clo, chi in sheet.merged_cells:
        if rhi - rlo > 1 or chi - clo > 1:
            overlay.merged.append(
                Merged(rlo, clo, rhi - 1, chi - 1, merged_ref(rlo, clo, rhi - 1, chi - 1))
            )
    overlay.hidden = {r for r, info in sheet.rowinfo_map.items() if info.hidden and r < len(rows)}
    overlay.hidden_columns = {c for c, info in sheet.colinfo_map.items() if info.hidden}
    shown = _display_xfs(book)
    xf_rows = getattr(sheet, "_cell_xf_indexes", None)
    errors: dict[tuple[int, int], str] = {}
    for r in range(height):
        types = sheet.row_types(r)
        if _ERROR not in types and not (shown and (_NUMBER in types or _DATE in types)):
            continue
        values = sheet.row_values(r)
        xfs = (
            xf_rows[r]
            if xf_rows is not None
            else [sheet.cell_xf_index(r, c) for c in range(len(types))]
        )
        for c, kind in enumerate(types):
            if kind == _ERROR:
                errors[(r, c)] = xlrd.error_text_from_code.get(values[c], "#ERROR")
            elif kind in (_NUMBER, _DATE) and xfs[c] in shown:
                text = numfmt.display(shown[xfs[c]], float(values[c]), date1904=book.datemode == 1)
                if text is not None:
                    overlay.display[(r, c)] = text
    for where, text in errors.items():
        overlay.display[where] = text
        overlay.problems[where] = error_problem(text)
    if errors:
        kinds = ", ".join(sorted(set(errors.values())))
        cells = count_note(len(errors), "1 cell shows", "{count} cells show")
        overlay.notes.append(f"{cells} an Excel error ({kinds}); fix them in Excel")
    return overlay


def _display_xfs(book: Any) -> dict[int, str]:
    """XF index -> format code, for the formats `numfmt` re-renders (dates, percentages)."""
    shown: dict[int, str] = {}
    for index, xf in enumerate(book.xf_list):
        key = xf.format_key
        fmt = book.format_map.get(key)
        code = numfmt.BUILTIN.get(key) if key < 164 and key in numfmt.BUILTIN else None
        if code is None:
            code = fmt.format_str if fmt is not None else ""
        if numfmt.kind(code):
            shown[index] = code
    return shown


def empty_sheet_reason(path: Path, sheet_name: str) -> str | None:
    """Words for an .xls sheet whose only cells are errors (calamine reads them as empty)."""
    from batchcount.read.xlsx_parts import describe_unreadable

    try:
        import xlrd

        book = _open(path, formatting=False)
        with _without_strings():
            sheet = book.sheet_by_name(sheet_name)
            kinds = [
                xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#ERROR")
                for r in range(sheet.nrows)
                for c, kind in enumerate(sheet.row_types(r))
                if kind == _ERROR
            ]
    except Exception:
        return None
    return describe_unreadable(len(kinds), sorted(set(kinds)), 0)
