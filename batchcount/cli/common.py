"""What every command shares: redacted printing, failing with an exit code, the input options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from batchcount.errors import (
    BatchcountError,
)
from batchcount.plan.prepare import InputOptions
from batchcount.plan.separators import global_separator, is_column_form
from batchcount.shown import shown

_secrets: list[str] = []  # the API key, so no message can ever show it


def add_secret(secret: str) -> None:
    """Remember a secret (the API key) so that no message can ever show it."""
    if secret:
        _secrets.append(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def say(message: str = "", err: bool = True) -> None:
    # text from the user's file may hold NUL, escape sequences or bidi marks: shown escaped
    click.echo(redact(shown(message, keep_newlines=True)), err=err)


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
        column_separators=[s for s in kwargs["separator"] if is_column_form(s)],
        fill_down=kwargs["fill_down"],
        include_hidden=kwargs["include_hidden"],
    )
