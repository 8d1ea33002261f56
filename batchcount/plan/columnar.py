"""Check a whole sheet column by column: the plan `rows.check_rows` + `make_plan` would give,
without per-row Python on the common path (a 100k-row sheet in a fraction of its read time).

Each distinct cell of a sent column is checked once (`distinct.ColumnCells`); rows become
vectors of ids into those answers, and polars combines them: which rows carry a message or an
error, which break a rule that involves several cells (one filter at least, one company
anchor at most, realtime-only values in database mode), and which valid rows are the same
segment (equal fingerprint texts: each cell's piece joined in field order). Rows that break a
rule, carry a reader problem or are shorter than the header are checked one by one by
`rows.check_rows`, so their messages are exactly the same. Row checks and fingerprint hashes
are made only when asked: `check` needs counts and the first few messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from batchcount.plan.distinct import (
    ANCHOR,
    BLANK,
    ERROR,
    LABEL,
    MESSAGE,
    NOTE_LIKE,
    NUMERIC,
    REAL,
    REALTIME_ONLY,
    SUBTOTAL_LIKE,
    VALUE_FLAGS,
    ColumnCells,
    Entry,
)
from batchcount.plan.filldown import filled_down_columns
from batchcount.plan.fingerprints import fingerprint_prefix, hash_text
from batchcount.plan.mapping import ColumnMap
from batchcount.plan.one_by_one import one_by_one as check_one_by_one
from batchcount.plan.planned import Plan, make_plan
from batchcount.plan.rowbuild import RowBuilder
from batchcount.plan.rows import RowOptions, constant_result
from batchcount.plan.sentcolumn import (
    AsList,
    SentColumn,
    message_count,
    segments,
    with_messages,
)
from batchcount.plan.separators import column_ref
from batchcount.read.grid import Grid, column_of

_VALID, _INVALID, _ONE_BY_ONE, _MAYBE_BLANK, _SKIPPED, _ASK = range(6)
_KINDS = ("errors", "warnings", "notes")


def check_table(
    rows: Sequence[Sequence[str]],
    row_numbers: Sequence[int],
    headers: Sequence[str],
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
    *,
    texts: Mapping[int, Sequence[str]] | None = None,
    skipped: Mapping[int, str] | None = None,
    extra_notes: Mapping[int, Sequence[str]] | None = None,
    extra_warnings: Mapping[int, Sequence[str]] | None = None,
    not_segment: Callable[[int], str | None] | None = None,
    watch_fill_down: bool = False,
    ask: Sequence[int] = (),
) -> Plan:
    """The plan for `rows`. `texts` replaces a column's cells (e.g. filled down), `skipped`
    gives (row index -> why) rows not checked at all, `extra_*` messages added to rows;
    `not_segment(i)` says why row i is not a segment (a total, a footnote), or None: asked for
    rows whose sent cells are all empty or numbers, hold a total label, hold only a cell
    that starts like a footnote or one text cell that reads like a group total ("North
    Total"), and the rows in `ask`; `watch_fill_down`
    warns on the blank cells of a column laid out filled down (`filldown.detect`)."""
    n = len(rows)
    texts, skipped = texts or {}, dict(skipped or {})
    extra_notes, extra_warnings = extra_notes or {}, extra_warnings or {}
    mode = options.mode
    if n == 0:
        return make_plan([], mode)
    fields = list(columns.fields.items())
    width = max((i for i, _ in fields), default=-1) + 1
    narrowest = rows.width if isinstance(rows, Grid) else min(map(len, rows))
    short = [i for i, r in enumerate(rows) if len(r) < width] if narrowest < width else []

    constants: dict[str, Entry] = {}
    constant_messages = False
    for name, value in columns.constants.items():
        result = constant_result(name, value, options)
        constant_messages |= bool(result.errors or result.notes or result.warnings)
        cells = ColumnCells(name, options.separator, options.allow_unknown, "", mode)
        constants[name] = cells.from_result(result)
    sent = set(columns.fields.values())
    loose_named = [(name, e) for name, e in constants.items() if name not in sent]
    loose = [e for _, e in loose_named]

    cols: list[SentColumn] = []
    for index, name in fields:
        cells_text = list(texts[index]) if index in texts else column_of(rows, index)
        checker = ColumnCells(
            name,
            options.separator_at(index),
            options.allow_unknown,
            column_ref(headers, index),
            mode,
        )
        column = SentColumn(index, name, cells_text, checker)
        column.texts = cells_text
        if name in constants:  # a cell that gives nothing takes the mapping file's constant
            column.entries = [_with_constant(e, constants[name]) for e in column.entries]
            column.messages = any(e.flags & MESSAGE for e in column.entries)
        cols.append(column)

    special = set(short)
    if problems:
        where = {number: i for i, number in enumerate(row_numbers)}
        special.update(where[number] for number in problems if number in where)
    code, all_blank = _codes(cols, loose, n, special, skipped, constant_messages)
    status_names = pl.Series(["valid", "invalid", "blank", "blank", "skipped", "blank"])
    statuses: list[str] = status_names.gather(code).to_list()

    # rows checked one by one: reader problems, broken rules, rows with no sent cell filled,
    # unless they are footnotes
    unfilled = [i for i in (code == _MAYBE_BLANK).arg_true().to_list() if not _blank(rows[i])]
    lone = (code == _ASK).arg_true().to_list()
    plain = (code == _VALID) | (code == _INVALID)
    labelled = [i for i in ask if plain[i]]  # checked as usual unless not a segment
    for i in [*unfilled, *lone, *labelled]:
        why = not_segment(i) if not_segment is not None else None
        if why is not None:
            statuses[i], skipped[i] = "skipped", why
    gone = [i for i in labelled if i in skipped]
    if gone:
        plain = plain.scatter(gone, False)
    one_by_one = sorted(
        (code == _ONE_BY_ONE).arg_true().to_list()
        + [i for i in [*unfilled, *lone] if i not in skipped]
    )
    checks = check_one_by_one(
        one_by_one, rows, row_numbers, headers, columns, options, problems, texts
    )
    for i, check in checks.items():
        statuses[i] = check.status

    hints: list[str] = []
    if watch_fill_down and cols:
        usable = ~all_blank & (code != _SKIPPED)
        usable = usable.scatter(list(skipped), False) if skipped else usable
        more: dict[int, Sequence[str]] = dict(extra_warnings)
        for hint, warnings in filled_down_columns(cols, usable, headers, row_numbers):
            hints.append(hint)
            for i, warning in warnings.items():
                more[i] = (*more.get(i, ()), warning)
        extra_warnings = more

    vector = plain
    counts = {kind: message_count(cols, vector, kind) for kind in _KINDS}
    has_messages = with_messages(cols, n)
    attention = set((vector & has_messages).arg_true().to_list())
    for i, check in checks.items():
        if check.errors or check.warnings or check.notes:
            attention.add(i)
            for kind in _KINDS:
                counts[kind] += len(getattr(check, kind))
    for extra, kind in ((extra_notes, "notes"), (extra_warnings, "warnings")):
        for i, messages in extra.items():
            if statuses[i] not in ("blank", "skipped") and messages:
                attention.add(i)
                counts[kind] += len(messages)
    attention.update(i for i in skipped if statuses[i] == "skipped")

    groups, first_index, text = segments(
        cols, constants, columns, plain & (code == _VALID), checks, n
    )
    grouped = len(groups) - groups.null_count()
    prefix = fingerprint_prefix(mode)
    texts_of = AsList(text)

    def fingerprint_at(i: int) -> str:
        return hash_text(f"{prefix}{texts_of[i]}}}]")

    def fingerprints_at(indexes: list[int]) -> list[str]:
        return [hash_text(f"{prefix}{t}}}]") for t in text.gather(indexes).to_list()]

    builder = RowBuilder(
        cols, dict(loose_named), headers, row_numbers, statuses, checks, skipped,
        extra_notes, extra_warnings, AsList(has_messages),
    )  # fmt: skip
    plan = Plan(
        mode,
        row_numbers,
        statuses,
        AsList(groups),
        builder.check_at,
        fingerprint_at,
        sorted(attention),
        counts,
        first_index,
        grouped,
        fingerprints_at=fingerprints_at,
    )
    plan.hints = hints
    return plan


def _codes(
    cols: list[SentColumn],
    loose: list[Entry],
    n: int,
    special: set[int],
    skipped: Mapping[int, str],
    constant_messages: bool,
) -> tuple[pl.Series, pl.Series]:
    """Per row: valid, invalid, check one by one, maybe blank, skipped, lone footnote-like
    cell; and whether every sent cell is blank."""
    flags = pl.DataFrame(
        {f"c{k}": c.spread([e.flags for e in c.entries], pl.UInt16) for k, c in enumerate(cols)}
    )
    names = [f"c{k}" for k in range(len(cols))]

    def bit(name: str, mask: int) -> pl.Expr:
        return (pl.col(name) & mask) > 0

    def total(mask: int) -> pl.Expr:
        base = sum(bool(e.flags & mask) for e in loose)
        return pl.sum_horizontal([bit(c, mask).cast(pl.UInt32) for c in names] + [pl.lit(base)])

    one_by_one = pl.repeat(constant_messages, n, eager=True)
    if special:
        one_by_one = one_by_one.scatter(sorted(special), True)
    skip = pl.repeat(False, n, eager=True)
    if skipped:
        skip = skip.scatter(sorted(skipped), True)
    loose_realtime = any(e.flags & REALTIME_ONLY for e in loose)
    if not names:  # constants only: every row is checked one by one
        codes = [_SKIPPED if i in skipped else _ONE_BY_ONE for i in range(n)]
        return pl.Series(codes).cast(pl.UInt8), pl.repeat(True, n, eager=True)
    # sent cells holding text (not blank, not a number): a group total has one, its label
    text_cells = pl.sum_horizontal([(~bit(c, BLANK | NUMERIC)).cast(pl.UInt32) for c in names])
    all_blank = flags.select(pl.all_horizontal([bit(c, BLANK) for c in names])).to_series()
    code = (
        flags.with_columns(skip=skip, one=one_by_one)
        .select(
            pl.when("skip")
            .then(_SKIPPED)
            .when("one")
            .then(_ONE_BY_ONE)
            .when(pl.all_horizontal([bit(c, BLANK) for c in names]))
            .then(_MAYBE_BLANK)
            .when(
                (
                    (pl.sum_horizontal([(~bit(c, BLANK)).cast(pl.UInt32) for c in names]) == 1)
                    & pl.any_horizontal([bit(c, NOTE_LIKE) for c in names])
                )
                | pl.all_horizontal([bit(c, BLANK | NUMERIC) for c in names])
                | pl.any_horizontal([bit(c, LABEL) for c in names])
                | ((text_cells == 1) & pl.any_horizontal([bit(c, SUBTOTAL_LIKE) for c in names]))
            )
            .then(_ASK)
            .when(
                (total(ANCHOR) > 1)
                | (total(REAL) == 0)
                | pl.any_horizontal([bit(c, REALTIME_ONLY) for c in names] + [loose_realtime])
            )
            .then(_ONE_BY_ONE)
            .when(pl.any_horizontal([bit(c, ERROR) for c in names]))
            .then(_INVALID)
            .otherwise(_VALID)
            .cast(pl.UInt8)
        )
        .to_series()
    )
    return code, all_blank


def _blank(cells: Sequence[str]) -> bool:
    return not "".join(cells).strip()


def _with_constant(entry: Entry, constant: Entry) -> Entry:
    """A cell that gives nothing takes the constant's value (its own messages stay)."""
    if entry.value is not None or constant.member is None:
        return entry
    flags = (entry.flags & ~VALUE_FLAGS) | (constant.flags & VALUE_FLAGS)
    return entry._replace(value=constant.value, member=constant.member, flags=flags)
