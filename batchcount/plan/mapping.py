"""Header -> API field, and mapping options (`--map`, `--mapping FILE`).

A header maps to a field when it matches the field's name ignoring case, spaces, `-`/`_`, or a
documented alias. Columns that map to nothing pass through to the output untouched.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from batchcount.errors import UsageError
from batchcount.plan.aliases import (
    guess_field,
    normalise_header,
    suggested_fields,
)
from batchcount.plan.fields import NON_FILTERS, all_fields, field_names
from batchcount.read.sheet import column_label
from batchcount.resources import mapping_schema
from batchcount.shown import quoted, shown

_LABEL_LIMIT = 60
_SHOWN_HEADERS = 20


def header_label(headers: Sequence[str], index: int) -> str:
    """How messages name a column: its header, or its letter when the header is blank."""
    text = " ".join(headers[index].split())  # a line break inside the cell reads as a space
    if len(text) > _LABEL_LIMIT:  # a header may be a pasted paragraph (or 1 MB)
        return f"{shown(text[: _LABEL_LIMIT - 1])}… (column {column_label(index)})"
    return shown(text) if text else f"column {column_label(index)}"


def _shown_headers(headers: Sequence[str]) -> str:
    """The headers for a message: quoted, the first few only (a sheet may have thousands)."""
    named = [i for i, h in enumerate(headers) if h.strip()]
    shown = ", ".join(f"'{header_label(headers, i)}'" for i in named[:_SHOWN_HEADERS])
    if len(named) > _SHOWN_HEADERS:
        shown += f", ... ({len(named)} columns in all)"
    return shown or "(no headers)"


@dataclass(frozen=True)
class MappingFile:
    columns: dict[str, str | None] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    separator: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class ColumnMap:
    """Which column feeds which field; everything else passes through."""

    fields: dict[int, str]  # column index -> API field
    passthrough: list[int]  # column indexes not sent
    constants: dict[str, Any]  # field -> constant value from the mapping file
    how: dict[int, str]  # column index -> how it was mapped ("name", "alias", "--map", "file")
    hints: list[str]  # did-you-mean notes for unmapped headers

    def describe(self, headers: Sequence[str]) -> list[str]:
        lines = [
            f"{header_label(headers, i)} -> {name}"
            + ("" if self.how[i] in ("name", "alias") else f" ({self.how[i]})")
            for i, name in sorted(self.fields.items())
        ]
        for name, value in self.constants.items():
            lines.append(
                f"{name} = {json.dumps(value, ensure_ascii=False)} (every row, mapping file)"
            )
        return lines

    def not_sent(self, headers: Sequence[str]) -> list[str]:
        # Blank-header columns (e.g. the empty column A before a table that starts in B)
        # still pass through, but naming them would be noise.
        return [header_label(headers, i) for i in self.passthrough if headers[i].strip()]


def _unknown_field_error(name: str, where: str) -> UsageError:
    close = difflib.get_close_matches(name.lower(), field_names(), n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return UsageError(
        f"{where}: '{name}' is not a Generect count field.{hint} "
        f"Valid fields: {', '.join(field_names())}."
    )


def parse_map_options(options: Sequence[str]) -> dict[str, str | None]:
    """`--map "HEADER=field"` (repeatable); `HEADER=` means do not send that column."""
    out: dict[str, str | None] = {}
    for option in options:
        header, eq, name = option.rpartition("=")
        if not eq or not header.strip():
            raise UsageError(
                f"--map '{option}': expected HEADER=field, e.g. --map \"Job Title=job_titles\" "
                "(or HEADER= to leave a column out)."
            )
        name = name.strip()
        if name and name not in all_fields():
            raise _unknown_field_error(name, f"--map '{option}'")
        out[header.strip()] = name or None
    return out


def load_mapping_file(path: Path) -> MappingFile:
    """Read and check a JSON or TOML mapping file against `schemas/mapping.schema.json`."""
    import jsonschema  # 40 ms to import: only when a mapping file is given

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--mapping {path}: cannot read it ({exc.strerror or exc}).") from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8-sig"))
        else:
            data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise UsageError(f"--mapping {path}: not valid {kind}: {exc}.") from None
    errors = sorted(
        jsonschema.Draft202012Validator(mapping_schema()).iter_errors(data), key=lambda e: e.path
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise UsageError(
            f"--mapping {path}: {where}: {first.message}. Expected keys: columns "
            "(header -> field), constants (field -> value), separator, mode."
        )
    columns = {
        k.strip(): (v.strip() or None) if v else None for k, v in data.get("columns", {}).items()
    }
    for header, name in columns.items():
        if name and name not in all_fields():
            raise _unknown_field_error(name, f"--mapping {path}: columns['{header}']")
    constants = dict(data.get("constants", {}))
    for name in constants:
        if name not in all_fields():
            raise _unknown_field_error(name, f"--mapping {path}: constants")
    return MappingFile(columns, constants, data.get("separator"), data.get("mode"))


def _find_header(headers: Sequence[str], wanted: str, source: str) -> int:
    stripped = [h.strip() for h in headers]
    matches = [i for i, h in enumerate(stripped) if h == wanted]
    if not matches:
        key = normalise_header(wanted)
        matches = [i for i, h in enumerate(headers) if key and normalise_header(h) == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        where = ", ".join(column_label(i) for i in matches)
        raise UsageError(
            f"{source}: the sheet has {len(matches)} columns named '{wanted}' (columns "
            f"{where}); rename them in the sheet so each header is different."
        )
    shown = _shown_headers(headers)
    raise UsageError(f"{source}: the sheet has no column '{wanted}'. Its headers are: {shown}.")


def map_columns(
    headers: Sequence[str],
    overrides: Mapping[str, str | None] | None = None,
    mapping: MappingFile | None = None,
    samples: Callable[[int], Sequence[str]] | None = None,
) -> ColumnMap:
    """Decide which column feeds which API field.

    Precedence: `--map` over the mapping file over header names/aliases. `samples(i)` gives
    a few of column i's values, so a did-you-mean never suggests a field they cannot fill.
    Raises UsageError for two columns on one field or no filter at all.
    """
    chosen: dict[int, str | None] = {}
    how: dict[int, str] = {}
    for source, table in (
        ("mapping file", mapping.columns if mapping else {}),
        ("--map", overrides or {}),
    ):
        for header, name in table.items():
            index = _find_header(headers, header, f"{source} '{header}'")
            chosen[index] = name
            how[index] = "--map" if source == "--map" else "file"

    fields: dict[int, str] = {}
    hints: list[str] = []
    for index, header in enumerate(headers):
        if index in chosen:
            name = chosen[index]
            if name:
                fields[index] = name
            continue
        guessed = guess_field(header)
        if guessed:
            fields[index] = guessed
            how[index] = (
                "name" if normalise_header(header) == normalise_header(guessed) else "alias"
            )
            continue
        hint = column_hint(header, index, partial(samples, index) if samples else None)
        if hint:
            hints.append(hint)

    by_field: dict[str, list[int]] = {}
    for index, name in fields.items():
        by_field.setdefault(name, []).append(index)
    clashes = {name: idx for name, idx in by_field.items() if len(idx) > 1}
    if clashes:
        name, idx = next(iter(clashes.items()))
        labels = [header_label(headers, i) for i in idx]
        cols = " and ".join(
            f"'{label}' (column {column_label(i)})" for label, i in zip(labels, idx, strict=True)
        )
        if len(set(labels)) < len(labels):  # duplicate headers: --map cannot tell them apart
            fix = "Rename the headers in the sheet so they differ (--map cannot tell them apart)."
        else:
            fix = (
                f'Pick one with --map, e.g. --map "{labels[1]}=" to leave column '
                f"{column_label(idx[1])} out."
            )
        raise UsageError(
            f"columns {cols} {'both' if len(idx) == 2 else 'all'} map to {name}; a field can "
            f"come from one column only. {fix}"
        )

    constants = dict(mapping.constants) if mapping else {}
    sendable = set(fields.values()) | set(constants)
    if not sendable - NON_FILTERS:
        shown = _shown_headers(headers)
        raise UsageError(
            f"no column maps to a Generect filter (headers: {shown}). Name columns after fields "
            "(e.g. 'Job Titles', 'Seniorities', 'Locations', 'Company Industries', "
            "'Company Headcounts') or use --map \"HEADER=field\". "
            f"Valid fields: {', '.join(field_names())}."
        )
    passthrough = [i for i in range(len(headers)) if i not in fields]
    return ColumnMap(fields, passthrough, constants, how, hints)


def column_hint(
    header: str, index: int, samples: Callable[[], Sequence[str]] | None = None
) -> str | None:
    """Did-you-mean for an unmapped column that resembles a filter, with the exact --map;
    fields its values (`samples()`, a few of them) cannot fill (text in a JSON or number
    field) are never suggested."""
    from batchcount.plan.cells import parse_cell  # cells imports nothing from here; kept lazy

    suggested = suggested_fields(header)
    if not suggested:
        return None
    values = samples() if samples else ()
    fits = [name for name in suggested if not any(parse_cell(name, v).error for v in values)]
    if not fits:
        return None
    name = " ".join(header.split()) or column_label(index)
    options = " or ".join(f"--map {quoted(f'{name}={f}')}" for f in fits)
    return (
        f"column '{header_label([header], 0)}' is not sent; did you mean "
        f"{' or '.join(fits)}? Add {options} to send it."
    )
