"""Excel number formats, for the few cell kinds whose raw value is not what the analyst sees.

calamine returns a date as "2024-03-05 00:00:00", a time as "1899-12-31 13:30:00" and 52% as
"0.52"; the sheet shows "05/03/2024", "13:30" and "52%". `display(code, value)` renders a
number the way Excel shows it for dates, times, durations, percentages and zero-padded codes
("00000" for a zip code); for every other format it returns None and the caller keeps the
plain number (so integer fields still get "1500", not "1,500.00").
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from functools import cache

# Built-in format ids (ECMA-376 18.8.30). 14 and 22 follow the reader's locale in Excel;
# they are shown as ISO dates here, which no locale misreads.
BUILTIN = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "yyyy-mm-dd",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "yyyy-mm-dd h:mm",
    37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mm:ss.0",
    48: "##0.0E+0",
    49: "@",
}
# East Asian built-in date ids (27-36, 50-58) depend on the locale: ISO dates too.
BUILTIN.update({i: "yyyy-mm-dd" for i in (*range(27, 37), *range(50, 59))})

_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')
_BRACKET = re.compile(r"\[[^\]]*\]")
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.I)
_DATE_LETTERS = re.compile(r"[ymdhs]", re.I)
_EPOCH = datetime(1899, 12, 30)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@cache
def kind(code: str) -> str | None:
    """ "date", "percent" or "padded" when `display` re-renders this format, else None."""
    section = code.split(";")[0]
    bare = _QUOTED.sub("", section)
    if _ELAPSED.search(bare):
        return "date"
    bare = _BRACKET.sub("", bare)
    if bare.strip().lower() in {"general", "@", ""}:
        return None
    if _DATE_LETTERS.search(bare.replace("E+", "").replace("e+", "").replace("E-", "")):
        return "date"
    if "%" in bare:
        return "percent"
    if re.fullmatch(r"0{2,}", bare.strip()):
        return "padded"
    return None


def display(code: str, value: float, *, date1904: bool = False) -> str | None:
    """The text Excel shows for `value` in format `code`, or None to keep the plain number."""
    what = kind(code)
    if what is None or not math.isfinite(value):
        return None
    sections = code.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1 and sections[1].strip():
        section, value = sections[1], -value
    elif value == 0 and len(sections) > 2 and sections[2].strip():
        section = sections[2]
    if what == "percent":
        return _percent(section, value)
    if what == "padded":
        digits = len(_QUOTED.sub("", section).strip())
        if value != int(value):
            return None
        return ("-" if value < 0 else "") + str(abs(int(value))).zfill(digits)
    return _date(section, value, date1904)


def display_many(code: str, values: list[float], *, date1904: bool = False) -> list[str | None]:
    """`display` for many values of one format: dates are rendered by polars in one pass
    (a 100k-row date column costs milliseconds, not seconds)."""
    first, *others = code.split(";")
    if kind(code) == "date" and len(values) > 50 and all(o.strip() in {"", "@"} for o in others):
        pattern = _strftime(first)
        if pattern is not None:
            try:
                out = _strftime_many(pattern, values, date1904)
            except Exception:  # a pattern polars cannot format: the token walk can
                return [display(code, v, date1904=date1904) for v in values]
            # before 1900-03-01 (Excel's fictitious leap day) and out of range: one by one
            return [
                text if text is not None else display(code, v, date1904=date1904)
                for text, v in zip(out, values, strict=True)
            ]
    return [display(code, v, date1904=date1904) for v in values]


def _strftime_many(pattern: str, values: list[float], date1904: bool) -> list[str | None]:
    import polars as pl

    shift = 1462 if date1904 else 0
    serial = pl.Series("v", values, dtype=pl.Float64) + shift
    # seconds since 1970 rounded as Excel rounds the display; day 61 on needs no 1900 fix
    seconds = ((serial - 25569) * 86400).round(0)
    stamps = (seconds * 1000).cast(pl.Int64).cast(pl.Datetime("ms")).dt.strftime(pattern)
    ok = (serial >= 61) & (serial <= 2958465)
    out = pl.select(pl.when(ok).then(stamps).otherwise(None)).to_series().to_list()
    return out


def _strftime(section: str) -> str | None:
    """The strftime pattern of a date format, or None when only the token walk can show it
    (elapsed [h], fractions of a second, a/p, one-letter month names)."""
    tokens = _TOKEN.findall(section)
    twelve = any(t.lower() == "am/pm" for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1].replace("%", "%%"))
        elif token.startswith("\\"):
            out.append(token[1:].replace("%", "%%"))
        elif token.startswith(("_", "*")):
            out.append(" " if token.startswith("_") else "")
        elif token.startswith("["):
            if _ELAPSED.fullmatch(token):
                return None
        elif low.startswith("y"):
            out.append("%y" if len(low) <= 2 else "%Y")
        elif low.startswith("m"):
            piece = _month_or_minute_pattern(tokens, i, low)
            if piece is None:
                return None
            out.append(piece)
        elif low.startswith("d"):
            out.append({1: "%-d", 2: "%d", 3: "%a"}.get(len(low), "%A"))
        elif low.startswith("h"):
            out.append(
                ("%-I" if len(low) == 1 else "%I") if twelve else ("%-H" if len(low) == 1 else "%H")
            )
        elif low.startswith("s"):
            out.append("%-S" if len(low) == 1 else "%S")
        elif low == "am/pm" and token[0].isupper():
            out.append("%p")
        elif low.startswith(".0") or low in {"am/pm", "a/p"}:
            return None
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _month_or_minute_pattern(tokens: list[str], i: int, low: str) -> str | None:
    text = _month_or_minute(tokens, i, low, datetime(2001, 11, 22, 3, 4))
    if text in {"04", "4"}:
        return "%M" if len(low) == 2 else "%-M"
    return {1: "%-m", 2: "%m", 3: "%b", 4: "%B"}.get(len(low))


def _percent(section: str, value: float) -> str:
    bare = _BRACKET.sub("", _QUOTED.sub("", section))
    match = re.search(r"\.(0+)", bare)
    decimals = len(match.group(1)) if match else 0
    text = f"{value * 100:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text + "%"


_TOKEN = re.compile(
    r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|am/pm|a/p|yyyy|yy|y|m{1,5}|d{1,4}|h{1,2}|s{1,2}|\.0+|.',
    re.I,
)


def _date(section: str, value: float, date1904: bool) -> str | None:
    serial = value + (1462 if date1904 else 0)
    if serial < 0 or serial > 2958465:  # Excel shows ##### beyond 9999-12-31
        return None
    # Excel's day 60 is the fictitious 1900-02-29; days before it are one off from Python.
    base = _EPOCH + timedelta(days=1) if serial < 60 else _EPOCH
    moment = base + timedelta(days=serial)
    moment = _round_seconds(moment, section)
    tokens = _TOKEN.findall(section)
    twelve = any(t.lower() in {"am/pm", "a/p"} for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif token.startswith(("_", "*")):
            out.append(" " if token.startswith("_") else "")
        elif token.startswith("["):
            elapsed = _ELAPSED.fullmatch(token)
            if elapsed:
                out.append(_elapsed(elapsed.group(1).lower(), serial))
        elif low.startswith("y"):
            out.append(str(moment.year) if len(low) != 2 else f"{moment.year % 100:02d}")
        elif low.startswith("m"):
            out.append(_month_or_minute(tokens, i, low, moment))
        elif low.startswith("d"):
            out.append(_day(low, moment))
        elif low.startswith("h"):
            hour = moment.hour % 12 or 12 if twelve else moment.hour
            out.append(f"{hour:0{len(low)}d}")
        elif low.startswith("s"):
            out.append(f"{moment.second:0{len(low)}d}")
        elif low.startswith(".0"):
            fraction = f"{moment.microsecond / 1e6:.{len(low) - 1}f}"
            out.append(fraction[1:])
        elif low in {"am/pm", "a/p"}:
            pm = moment.hour >= 12
            text = ("PM" if pm else "AM") if low == "am/pm" else ("P" if pm else "A")
            out.append(text if token[0].isupper() else text.lower())
        else:
            out.append(token)
    return "".join(out).strip()


def _round_seconds(moment: datetime, section: str) -> datetime:
    if re.search(r"\.0", section):
        return moment  # fractional seconds are shown
    micro = moment.microsecond
    moment = moment.replace(microsecond=0)
    return moment + timedelta(seconds=1) if micro >= 500_000 else moment


def _elapsed(unit: str, serial: float) -> str:
    seconds = round(serial * 86400)
    if unit.startswith("h"):
        return f"{seconds // 3600:0{len(unit)}d}"
    if unit.startswith("m"):
        return f"{seconds // 60:0{len(unit)}d}"
    return f"{seconds:0{len(unit)}d}"


def _month_or_minute(tokens: list[str], i: int, low: str, moment: datetime) -> str:
    # "m" after an hour or before a second is minutes (h:mm, mm:ss), else the month
    before = next((t.lower() for t in reversed(tokens[:i]) if t[:1].isalpha() or "[" in t), "")
    after = next((t.lower() for t in tokens[i + 1 :] if t[:1].isalpha() or "[" in t), "")
    if len(low) <= 2 and (before[:1] == "h" or "[h" in before or after[:1] == "s"):
        return f"{moment.minute:0{len(low)}d}"
    if len(low) == 1:
        return str(moment.month)
    if len(low) == 2:
        return f"{moment.month:02d}"
    name = _MONTHS[moment.month - 1]
    return {3: name[:3], 4: name, 5: name[:1]}[len(low)]


def _day(low: str, moment: datetime) -> str:
    if len(low) == 1:
        return str(moment.day)
    if len(low) == 2:
        return f"{moment.day:02d}"
    name = _DAYS[moment.weekday()]
    return name[:3] if len(low) == 3 else name
