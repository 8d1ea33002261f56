"""`--separator TEXT` for every column, `--separator "COLUMN=TEXT"` for one column.

Advice about separators always names a column (`--separator "Locations=,"`): a comma is a
list separator in one column and part of the values in another ("VP, Sales").
"""

from __future__ import annotations

from collections.abc import Sequence

from batchcount.errors import UsageError
from batchcount.plan.aliases import normalise_header
from batchcount.plan.headers import declared_separator
from batchcount.plan.mapping import ColumnMap
from batchcount.read.sheet import column_label
from batchcount.shown import quoted, shown

__all__ = [
    "column_ref",
    "declared_separators",
    "find_column",
    "global_separator",
    "is_column_form",
    "resolve_separators",
    "separator_advice",
]


def column_ref(headers: Sequence[str], index: int) -> str:
    """How an option names a column: its header (spacing collapsed), or its letter."""
    text = " ".join(headers[index].split()) if index < len(headers) else ""
    return text if text and len(text) <= 60 else column_label(index)


def separator_advice(column: str, separator: str) -> str:
    """The option that splits one column's cells on `separator`."""
    return f"--separator {quoted(f'{column}={separator}')}"


def _split(option: str) -> tuple[str, str] | None:
    """(column, text) of a COLUMN=TEXT option, None for a plain separator."""
    head, eq, _ = option.partition("=")
    if not eq or not head.strip():
        return None  # "=" alone (or " = ") is a separator, not a column
    return head, option[len(head) + 1 :]


def is_column_form(option: str) -> bool:
    """Whether a --separator value names a column (COLUMN=TEXT)."""
    return _split(option) is not None


def global_separator(options: Sequence[str]) -> str | None:
    """The one separator given for every column, if any (checked before reading)."""
    plain = [o for o in options if _split(o) is None]
    if any(not o for o in plain):
        raise UsageError("--separator '': a separator cannot be empty; e.g. --separator ','")
    if len(set(plain)) > 1:
        shown_all = ", ".join(repr(o) for o in plain)
        raise UsageError(
            f"--separator given twice for every column ({shown_all}); give one, or name the "
            'column: --separator "Locations=,"'
        )
    return plain[0] if plain else None


def resolve_separators(
    options: Sequence[str], headers: Sequence[str], sent: Sequence[int]
) -> dict[int, str]:
    """Column index -> separator for the `COLUMN=TEXT` options; UsageError naming the fix."""
    out: dict[int, str] = {}
    for option in options:
        if _split(option) is None:
            continue
        index, text = _resolve(option, headers, f"--separator {quoted(option)}")
        if not text:
            raise UsageError(
                f"--separator {quoted(option)}: nothing after '='; write the separator, "
                f"e.g. {separator_advice(column_ref(headers, index), ',')}"
            )
        if index not in sent:
            raise UsageError(
                f"--separator {quoted(option)}: column '{shown(column_ref(headers, index))}' "
                "is not sent, so it has no values to split; name a sent column, or add "
                '--map "HEADER=field" to send it'
            )
        if out.get(index, text) != text:
            raise UsageError(
                f"--separator gives column '{shown(column_ref(headers, index))}' two "
                f"separators ({out[index]!r} and {text!r}); keep one"
            )
        out[index] = text
    return out


def _resolve(option: str, headers: Sequence[str], shown_option: str) -> tuple[int, str]:
    """Find the column: the header may itself hold '=' so every split is tried, exact
    header first, then spelling-insensitive, then an Excel column letter."""
    splits = [(option[:i], option[i + 1 :]) for i, c in enumerate(option) if c == "="]
    splits = [(h, t) for h, t in splits if h.strip()]
    stripped = [" ".join(h.split()) for h in headers]

    def exact(want: str) -> list[int]:
        return [i for i, h in enumerate(stripped) if h and h == " ".join(want.split())]

    def loose(want: str) -> list[int]:
        key = normalise_header(want)
        return [i for i, h in enumerate(headers) if key and normalise_header(h) == key]

    def letter(want: str) -> list[int]:
        return [i for i in range(len(headers)) if column_label(i) == want.strip().upper()]

    for match in (exact, loose, letter):
        for head, text in splits:
            found = match(head)
            if len(found) == 1:
                return found[0], text
            if len(found) > 1:
                letters = ", ".join(column_label(i) for i in found)
                raise UsageError(
                    f"{shown_option}: {len(found)} columns are named '{shown(head.strip())}' "
                    f"(columns {letters}); name one by its letter instead, e.g. "
                    f"'{column_label(found[0])}'"
                )
    head = splits[0][0]
    listed = ", ".join(f"'{shown(s)}'" for s in stripped if s)[:300]
    hint = (
        'write --separator "HEADER=TEXT" for one column, or --separator TEXT for all'
        if shown_option.startswith("--separator")
        else "name a column by its header or its letter"
    )
    raise UsageError(
        f"{shown_option}: the sheet has no column '{shown(head.strip())}'. Its headers are: "
        f"{listed or '(none)'}; {hint}"
    )


def find_column(option: str, name: str, headers: Sequence[str]) -> int:
    """The column an option names by its header (exact, then spelling-insensitive) or by
    its letter; UsageError naming the headers otherwise. `option` is shown in messages."""
    index, _ = _resolve(f"{name}=", headers, option)
    return index


def declared_separators(headers: Sequence[str], columns: ColumnMap) -> dict[int, str]:
    """Sent columns whose header names their list separator ("Industries (comma-separated)")."""
    found: dict[int, str] = {}
    for index in columns.fields:
        separator = declared_separator(headers[index])
        if separator is not None:
            found[index] = separator
    return found
