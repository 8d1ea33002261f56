"""What every command shares: redacted printing, failing with an exit code, the input options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from batchcount.errors import (
    BatchcountError,
)
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS
from batchcount.plan.prepare import InputOptions
from batchcount.plan.separators import global_separator, is_column_form
from batchcount.redaction import register, scrub
from batchcount.shown import shown


def add_secret(secret: str) -> None:
    """Remember a secret (the API key) so that no message can ever show it."""
    register(secret)


def redact(text: str) -> str:
    """Every registered secret, and any long piece of one (text cut short elsewhere), masked."""
    return scrub(text)


def say(message: str = "", err: bool = True) -> None:
    # redacted first (a key is matched as registered), then text from the user's file that
    # may hold NUL, escape sequences or bidi marks is shown escaped
    click.echo(shown(redact(message), keep_newlines=True), err=err)


def fail(error: BatchcountError) -> NoReturn:
    say(f"error: {error.message}")
    raise SystemExit(error.exit_code)


# --- shared options ---------------------------------------------------------------------------


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
        click.option(
            "--sheet", metavar="NAME", help="Workbook sheet to read (default: the first)."
        ),
        click.option(
            "--header-row",
            type=click.IntRange(min=0),
            metavar="N",
            help="Sheet row number of the header (default: detected below any title block; "
            "0 = a one-column list without a header).",
        ),
        click.option(
            "--map",
            "maps",
            multiple=True,
            metavar="HEADER=field",
            help="Send column HEADER as API field (repeatable); HEADER= leaves it out.",
        ),
        click.option(
            "--mapping",
            "mapping_file",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="JSON or TOML mapping file (columns, constants).",
        ),
        click.option(
            "--separator",
            multiple=True,
            metavar="TEXT|COLUMN=TEXT",
            help="Separator between several values in one cell (default ';'); "
            '"COLUMN=TEXT" for one column only, e.g. "Locations=," (repeatable).',
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="Text file encoding (default: detected; UTF-8, UTF-16, Windows-1252).",
        ),
        click.option(
            "--mode",
            type=click.Choice(["realtime", "database"]),
            default=None,
            help="realtime (paid, live data; default) or database (free, cached).",
        ),
        click.option(
            "--fill-down",
            "fill_down",
            multiple=True,
            metavar="COLUMN",
            help="Fill this column's empty cells with the value above (report layouts that "
            "write a value once for the rows below it; repeatable).",
        ),
        click.option(
            "--include-hidden",
            is_flag=True,
            help="Count rows hidden or filtered out in Excel (skipped by default).",
        ),
        click.option(
            "--allow-unknown-values",
            "allow_unknown",
            is_flag=True,
            help="Send industries/company types we do not recognise (with a warning).",
        ),
        click.option(
            "--explode",
            "explode",
            multiple=True,
            metavar="COLUMN",
            help="Count each value of this list column as its own segment, crossed with the "
            "other --explode columns (header or field; repeatable). Adds a Matrix sheet.",
        ),
        click.option(
            "--max-segments",
            type=int,
            default=DEFAULT_MAX_SEGMENTS,
            show_default=True,
            metavar="N",
            help="Name rows that --explode turns into more than N segments; with -y, refuse "
            "them (raise N to confirm).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def to_input_options(kwargs: dict[str, Any]) -> InputOptions:
    return InputOptions(
        path=kwargs["input_path"],
        sheet=kwargs["sheet"],
        encoding=kwargs["encoding"],
        maps=kwargs["maps"],
        mapping_file=kwargs["mapping_file"],
        separator=global_separator(kwargs["separator"]),
        mode=kwargs["mode"],
        allow_unknown=kwargs["allow_unknown"],
        explode=kwargs["explode"],
        max_segments=kwargs["max_segments"],
        header_row=kwargs.get("header_row"),
        column_separators=[s for s in kwargs["separator"] if is_column_form(s)],
        fill_down=kwargs["fill_down"],
        include_hidden=kwargs["include_hidden"],
    )
