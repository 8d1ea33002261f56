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
from batchcount.redaction import register, scrub


def add_secret(secret: str) -> None:
    """Remember a secret (the API key) so that no message can ever show it."""
    register(secret)


def redact(text: str) -> str:
    """Every registered secret, and any long piece of one (text cut short elsewhere), masked."""
    return scrub(text)


def say(message: str = "", err: bool = True) -> None:
    click.echo(redact(message), err=err)


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
            metavar="TEXT",
            help="Separator between several values in one cell (default ';').",
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
        separator=kwargs["separator"],
        mode=kwargs["mode"],
        allow_unknown=kwargs["allow_unknown"],
        explode=kwargs["explode"],
        max_segments=kwargs["max_segments"],
        header_row=kwargs.get("header_row"),
    )
