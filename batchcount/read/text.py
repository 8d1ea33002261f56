"""Text spreadsheets (CSV/TSV/TXT) as Excel writes them: encoding, delimiter, records.

Used by `batchcount.read.sheet`; returns raw records (one per spreadsheet row, ragged as written).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from batchcount.errors import InputFileError
from batchcount.read.header import HeaderScore

_DELIMITERS = (",", ";", "\t")
_DELIMITER_WORDS = {",": "','-delimited", ";": "';'-delimited", "\t": "tab-delimited"}
_SEP_LINE = re.compile(r"sep=([^\r\n])(?:\r\n|\n|\r)")
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 60
_BINARY_SAMPLE = 8192
# Control characters that never occur in a text spreadsheet (tab, LF, VT, FF, CR allowed).
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\x0b", "\x0c", "\r", "\x00"}
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)


@dataclass(frozen=True)
class TextTable:
    rows: list[list[str]]  # one record per spreadsheet row (record i is row i + 1)
    encoding: str
    delimiter: str
    notes: list[str]
    single_column: bool = False  # one value per line: no delimiter splits it


def read_text(
    path: Path,
    name: str,
    encoding: str | None,
    *,
    workbook_ext: bool,
    header_score: HeaderScore | None = None,
) -> TextTable:
    """Decode, sniff the delimiter and split into records; InputFileError if not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    for magic, what in _MAGIC:
        if data.startswith(magic):
            _binary(name, what, workbook_ext)
    try:
        text, used, words = _decode(data, name, encoding)
    except InputFileError:
        _refuse_binary(data.decode("latin-1"), name, workbook_ext)  # binary says more
        raise
    notes = [words]
    _refuse_binary(text, name, workbook_ext)
    if "\x00" in text:
        count = text.count("\x00")
        notes.append(f"removed {count} NUL byte{'s' * (count != 1)} (0x00)")
        text = text.replace("\x00", "")
    text = text.removeprefix("\ufeff")
    _refuse_markup(text, name)
    hint = _SEP_LINE.match(text)
    single = False
    if hint:
        # Excel's "sep=;" first line names the delimiter and is not shown as a row.
        delimiter, text = hint.group(1), text[hint.end() :]
        words = _DELIMITER_WORDS.get(delimiter, f"{delimiter!r}-delimited")
        notes.append(f"{words} (from the 'sep={delimiter}' first line, which is not a row)")
    else:
        tab_first = path.suffix.lower() in {".tsv", ".tab"}
        delimiter, single = _sniff_delimiter(text, prefer_tab=tab_first, score=header_score)
        if single:
            # one value per line: a comma inside a value never splits it
            delimiter = next(c for c in "\x1f\x1e\ufffe\uffff" if c not in text)
            if any(d in text[:_SNIFF_CHARS] for d in _DELIMITERS):
                notes.append(
                    "one value per line: the ',', ';' or tabs inside lines do not split them "
                    "into columns consistently, so they are part of the values"
                )
            else:
                notes.append("one column (no ',', ';' or tab found)")
        else:
            notes.append(_DELIMITER_WORDS[delimiter])
    return TextTable(_records(text, delimiter, name), used, delimiter, notes, single)


def _refuse_binary(text: str, name: str, workbook_ext: bool) -> None:
    sample = text[:_BINARY_SAMPLE]
    nuls = sample.count("\x00")
    controls = sum(1 for ch in sample if ch in _CONTROL)
    if nuls + controls > 0.3 * len(sample) or controls > max(2, 0.05 * len(sample)):
        share = round(100 * (nuls + controls) / max(1, len(sample)))
        _binary(name, f"{share}% control or NUL characters in the first 8 KB", workbook_ext)


def _binary(name: str, what: str, workbook_ext: bool) -> None:
    if workbook_ext:
        raise InputFileError(
            f"{name} is not an Excel workbook and does not look like a text spreadsheet "
            f"(it looks binary: {what}); open it in the program that made it and save it as "
            ".xlsx or .csv"
        )
    raise InputFileError(
        f"{name} does not look like a text spreadsheet (it looks binary: {what}); export the "
        "data as .csv or .xlsx and point batchcount at that file"
    )


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str, str]:
    """Return (text, encoding used, encoding in words)."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding, f"{encoding} (from --encoding)"
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.start + 1].hex().upper()
            raise InputFileError(
                f"{name} is not valid {encoding} text (byte 0x{bad} at position {exc.start}); "
                "omit --encoding to let batchcount detect it, or try --encoding cp1252"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, "utf-8-sig", "UTF-8 with BOM")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_as(data, "utf-16", "UTF-16 (Excel Unicode text)")
    bomless = _bomless_utf16(data[:_BINARY_SAMPLE])
    if bomless:
        return _decode_as(data, bomless, f"UTF-16 without byte-order mark ({bomless})")
    try:
        return data.decode("utf-8"), "utf-8", "UTF-8"
    except UnicodeDecodeError:
        from batchcount.read.encoding import decode_legacy

        return decode_legacy(data, name)


def _decode_as(data: bytes, encoding: str, words: str) -> tuple[str, str, str]:
    try:
        return data.decode(encoding), encoding, words
    except UnicodeDecodeError:
        # Keep going with replacement characters: one bad byte should not block the file.
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        return text, encoding, f"{words}; {bad} undecodable bytes shown as '\ufffd'"


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: NUL in nearly every other byte (ASCII text as UTF-16)."""
    half = len(sample) // 2
    if half < 2:
        return None
    even = sample[0 : half * 2 : 2].count(0)
    odd = sample[1 : half * 2 : 2].count(0)
    if odd >= 0.4 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _refuse_markup(text: str, name: str) -> None:
    start = text[:2048].lstrip().lower()
    if start.startswith("<") and any(tag in start for tag in ("<html", "<table", "<?xml")):
        raise InputFileError(
            f"{name} is a web page or XML document, not a spreadsheet (some systems export "
            "HTML named .xls); open it in Excel and save it as .xlsx or .csv, then try again"
        )


def _sniff_delimiter(
    text: str, *, prefer_tab: bool, score: HeaderScore | None = None
) -> tuple[str, bool]:
    """Pick the delimiter that splits the file into a consistent table.

    Returns (delimiter, single column?). A delimiter counts only when the whole sample is
    consistently split by it: at most a short title block above and a footer below, and
    every record between them has the delimiter. A comma inside some lines of a list (job
    titles, "Paris, France") never makes columns; neither do commas followed by a space in
    every line, unless the split first row is a header that names filters (`score`).
    csv.Sniffer is fooled by ';' lists inside ',' files and vice versa, so each candidate is
    scored on the first records instead.
    """
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > len(sample)
    order = ("\t", ",", ";") if prefer_tab else _DELIMITERS
    best: tuple[float, float, int, int] | None = None
    chosen = order[0]
    for rank, delimiter in enumerate(order):
        records: list[list[str]] = []
        stopped_early = False
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if any(c.strip(" \t,;") for c in record):  # ",," is blank whatever the delimiter
                records.append(record)
                if len(records) > _SNIFF_RECORDS:
                    stopped_early = True
                    break
        if truncated and not stopped_early and len(records) > 1:
            records.pop()  # the sample may cut the last record in half
        if not records:
            continue
        # The usual width, not the first record's: a title line may sit above the header.
        widths = Counter(len(r) for r in records)
        width = max(widths, key=lambda w: (widths[w], w))
        body = _body(records, width)
        if width < 2 or body is None:
            continue
        consistency = sum(1 for r in body if _fits(r, width)) / len(body)
        # Prose commas ("Paris, France") are followed by a space, real delimiters are not.
        cells = [c for r in body for c in r[1:] if c]
        spaced = sum(1 for c in cells if c[0].isspace()) / max(1, len(cells))
        if spaced >= 0.5 and not _names_filters(body[0], score):
            continue
        key = (round(consistency, 1), -round(spaced, 2), width, -rank)
        if best is None or key > best:
            best, chosen = key, delimiter
    return chosen, best is None


_EDGE_RECORDS = 5  # title lines above a table, footnotes below it


def _body(records: list[list[str]], width: int) -> list[list[str]] | None:
    """The records from the first to the last that fit `width`, if the file is a table:
    few records around them, and every one of them split at least once."""
    fits = [_fits(r, width) for r in records]
    first = fits.index(True)
    last = len(fits) - 1 - fits[::-1].index(True)
    title, footer = records[:first], records[last + 1 :]
    for edge in (title, footer):
        # a key/value block ("Prepared by,Ana") may be longer: its lines are split too
        if len(edge) > _EDGE_RECORDS and (len(edge) > 30 or any(len(r) < 2 for r in edge)):
            return None
    body = records[first : last + 1]
    if any(len(r) < 2 for r in body):
        return None  # a line without the delimiter in the middle: a list, not a table
    return body


def _names_filters(record: list[str], score: HeaderScore | None) -> bool:
    return score is not None and score([c.strip() for c in record]) >= 2


def _fits(record: list[str], width: int) -> bool:
    if len(record) == width:
        return True
    return len(record) > width and not any(c.strip() for c in record[width:])


def _records(text: str, delimiter: str, name: str) -> list[list[str]]:
    """All records; a quoted line break stays inside its cell (one spreadsheet row)."""
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)  # cells of many MB must not abort the read
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if records and records[-1]:
        last = records[-1][-1]
        # An unclosed quote swallows the rest of the file into the last cell.
        if ("\n" in last or "\r" in last) and not text.rstrip().endswith('"'):
            raise InputFileError(
                f"{name}: a quote opened in row {len(records)} is never closed, so everything "
                'after it would become one cell; add the missing closing quote (") in that '
                'row (write a quote inside a cell as "") and save again'
            )
    return records
