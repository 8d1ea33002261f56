"""Decorated headers: "Industry (LinkedIn)", "Seniority*", "Locations – countries",
"Company size (employees)", "1. Job Titles:", a line break inside the cell.

The decoration (brackets, marks, a part after a dash) is removed and the rest mapped like any
header, but only when what was removed cannot change the meaning: "(employees)" or "(LinkedIn)"
can be dropped, "(HQ)" or "(exclude)" cannot ("Location (HQ)" is where the company sits, not
the lead). Such headers are not guessed; they get a did-you-mean with the exact --map.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_BRACKETS = re.compile(r"[(\[{<]([^)\]}>]*)[)\]}>]?")
_LEADING = re.compile(r"^(?:\d{1,3}[.)]|[a-z][.)]\s|[*•·►▶>#\-–—]+)\s*", re.I)
_TRAILING = re.compile(r"[\s*:†‡?!.,;¹²³]+$")
_PARTS = re.compile(r"\s+[-–—|/]\s+|\s*[–—|/]\s*|:\s+")
_COUNT_OF = re.compile(r"^(?:#|no\.?|nr\.?|num\.?)\s*of\s+", re.I)  # "# of employees"
_EXAMPLES = re.compile(r"^\s*(?:e\.?g\.?|i\.?e\.?|ex\.?|example|examples|such as|like)\b", re.I)
# Words a decoration may hold without changing which field the column is.
_HARMLESS = frozenset(
    """linkedin li sales navigator salesnav sn apollo zoominfo crm employees employee emps emp
    staff people persons fte count number no nr num size sizes range ranges bucket buckets band
    bands countries country cities city regions region states state optional opt required req
    mandatory multi multiple select pick one or more any all of the a an and list lists values
    value names name codes code level levels type types free text semicolon semi colon comma
    separated separator per row filter filters field target targeted use exact spelling official
    current plural singular see tab sheet below above only in as is at least max min total
    standard""".split()  # noqa: SIM905 (a word list reads better as text)
)

Lookup = Callable[[str], "str | None"]


def _clean(header: str) -> tuple[str, list[str]]:
    """(the header without decoration, the bracketed texts removed)."""
    text = unicodedata.normalize("NFKC", " ".join(header.split()))
    removed = [m.group(1) for m in _BRACKETS.finditer(text)]
    text = _BRACKETS.sub(" ", text)
    text = _COUNT_OF.sub("number of ", text.strip())
    text = _TRAILING.sub("", _LEADING.sub("", text))
    return " ".join(text.split()), removed


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.casefold())


def decorated_field(header: str, lookup: Lookup) -> tuple[str | None, list[str]]:
    """(field, []) when the header maps once its harmless decoration is removed; (None,
    fields to suggest) when it resembles fields but the decoration may change the meaning."""
    core, removed = _clean(header)
    if not core:
        return None, []
    field = lookup(core)
    if field is None:
        parts = [p for p in _PARTS.split(core) if p.strip()]
        found = {p: lookup(p) for p in parts}
        fields = {f for f in found.values() if f}
        if len(fields) != 1:
            return None, sorted(fields)
        field = next(iter(fields))
        removed += [p for p, f in found.items() if f is None]
        core = " ".join(p for p, f in found.items() if f)
    harmful = [
        text
        for text in removed
        if not _EXAMPLES.match(text)
        and any(w not in _HARMLESS and not w.isdigit() and lookup(w) != field for w in _words(text))
    ]
    if not harmful:
        return field, []
    # "Location (HQ)": "HQ Location" is company_locations; suggest that first
    combined = [lookup(f"{extra} {core}") or lookup(f"{core} {extra}") for extra in harmful]
    suggestions = [f for f in combined if f] + [field]
    return None, list(dict.fromkeys(suggestions))


_DECLARED = (
    (re.compile(r"\bcomma[- ]?(?:separated|delimited|list)\b|\bseparated by commas?\b", re.I), ","),
    (
        re.compile(
            r"\bsemi-?colon[- ]?(?:separated|delimited|list)\b|\bseparated by semi-?colons?\b", re.I
        ),
        ";",
    ),
    (re.compile(r"\bpipe[- ]?(?:separated|delimited)\b", re.I), "|"),
)


def declared_separator(header: str) -> str | None:
    """The list separator a header names ("Industries (comma-separated)"), if any."""
    for pattern, separator in _DECLARED:
        if pattern.search(header):
            return separator
    return None
