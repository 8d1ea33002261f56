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
        header_row=kwargs.get("header_row"),
    )
