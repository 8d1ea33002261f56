"""Values that stand for "no value": sent as a filter they would be searched for literally.

"N/A", "-", "TBD", "(blank)", "?" in a job-title or location cell mean "nothing here" to the
analyst, and an Excel error exported to CSV ("#N/A", "#REF!") is not a value at all; the API
would count leads whose title is "N/A", and bill the request. Such a cell is refused with the
fix (clear it for no filter), never sent.
"""

from __future__ import annotations

import re

# "NA" alone is left out: it is also North America (and Namibia)
_WORDS = frozenset(
    {
        "n/a", "n.a.", "n.a", "n/d", "none", "null", "nil", "nan", "tbd", "tba", "tbc",
        "blank", "(blank)", "empty", "(empty)", "(none)", "unknown", "not applicable",
        "not available", "-none-", "<none>", "<blank>",
    }
)  # fmt: skip
_MARKS = re.compile(r"[-–—_.?*/\\]+")  # "-", "—", "--", "?", "...", "*"
_EXCEL_ERROR = re.compile(
    r"#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!)",
    re.I,
)
PLACEHOLDER_START = frozenset("nNtTbBeE(uU-–—_.?*/\\<#")  # how every value above starts


def placeholder_problem(value: str) -> str | None:
    """Why `value` (one trimmed list value) is not a value to send, or None."""
    if not value or value[0] not in PLACEHOLDER_START:
        return None
    if _EXCEL_ERROR.fullmatch(value):
        return (
            f"'{value}' is an Excel error exported as text, not a value; fix the formula in "
            "the workbook and export again (or clear the cell for no filter)"
        )
    if value.casefold() in _WORDS or _MARKS.fullmatch(value):
        return (
            f"'{value}' stands for no value, and would be searched for as written; clear the "
            "cell for no filter, or write the value to count"
        )
    return None
