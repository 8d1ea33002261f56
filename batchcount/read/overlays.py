"""Which overlay reader serves which format (`overlay_for`, `empty_reason`), and the .xlsx
sheet scan (`xlsx_parts.scan_sheet`) run in a thread while calamine reads (`Prescan`).

calamine parses a sheet without holding the GIL (about half of a 100k-row read), and zlib
inflates without it too, so the overlay's own pass over the sheet XML (unzip and byte scans,
~0.2 s at 100k rows) costs almost no wall time when it runs meanwhile on the other core. The
sheet scanned is a guess (the one asked for, else the first); when another is chosen, the
overlay scans that one afterwards as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from batchcount.read.overlay import Overlay
from batchcount.read.xlsx_parts import SheetScan, empty_sheet_reason, scan_sheet, xlsx_overlay


class Prescan:
    def __init__(self, path: Path, sheet_name: str) -> None:
        self.sheet_name = sheet_name
        self._scan: SheetScan | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._work, args=(path,), name="batchcount-prescan", daemon=True
        )
        self._thread.start()

    def _work(self, path: Path) -> None:
        try:
            self._scan = scan_sheet(path, self.sheet_name)
        except BaseException as exc:  # re-raised in the reading thread, as if run there
            self._error = exc

    def take(self, sheet_name: str) -> SheetScan | None:
        """The scan of `sheet_name` if it is the one scanned (None otherwise)."""
        self._thread.join()
        if sheet_name != self.sheet_name:
            return None
        if self._error is not None:
            raise self._error
        return self._scan


def overlay_for(
    path: Path,
    name: str,
    fmt: str,
    sheet_name: str,
    rows: Sequence[list[str]],
    scan: SheetScan | None,
) -> Overlay:
    if fmt in {"xlsx", "xlsm"}:
        return xlsx_overlay(path, sheet_name, rows, scan)
    if fmt == "xls":
        from batchcount.read.xls_parts import xls_overlay

        return xls_overlay(path, name, sheet_name, rows)
    if fmt == "ods":
        from batchcount.read.ods_parts import ods_overlay

        return ods_overlay(path, sheet_name, rows)
    return Overlay()


def empty_reason(path: Path, fmt: str, sheet_name: str) -> str | None:
    """Why a sheet calamine reads as empty is not empty (only error cells, unsaved formulas)."""
    if fmt in {"xlsx", "xlsm"}:
        return empty_sheet_reason(path, sheet_name)
    if fmt == "xls":
        from batchcount.read.xls_parts import empty_sheet_reason as xls_reason

        return xls_reason(path, sheet_name)
    if fmt == "ods":
        from batchcount.read.ods_parts import empty_sheet_reason as ods_reason

        return ods_reason(path, sheet_name)
    return None
