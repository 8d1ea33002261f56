"""Options `run` and `check` share about the count store, and `check`'s copy of `run`'s API
options (so both look up the same stored counts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import add_secret
from batchcount.store.age import parse_age


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--store",
            type=click.Path(path_type=Path, dir_okay=False),
            envvar="BATCHCOUNT_STORE",
            show_envvar=True,
            metavar="PATH",
            help="The count store (SQLite) to use. Default: counts.sqlite in your user data "
            "folder.",
        ),
        click.option(
            "--max-age",
            metavar="AGE",
            help="Reuse stored counts younger than this (12h, 7d, 90d; 0 recounts "
            "everything). Default: 30d.",
        ),
        click.option(
            "--fresh",
            is_flag=True,
            help="Recount every row of this input (same as --max-age 0); run asks once, in the "
            "prompt that shows the cost.",
        ),
        click.option(
            "--preflight",
            is_flag=True,
            help="Ask the free database count first; skip segments it finds empty (0).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def endpoint_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The same spellings, env variables and default as `run`'s."""
    options = [
        click.option(
            "--api-key",
            envvar="GENERECT_API_KEY",
            metavar="KEY",
            show_envvar=True,
            help="Generect API key: selects live or test counts, and asks the free price tier.",
        ),
        click.option(
            "--base-url",
            envvar="GENERECT_API_BASE",
            metavar="URL",
            show_envvar=True,
            default="https://api.generect.com",
            show_default=True,
            help="API base URL (stored counts are kept per API).",
        ),
        click.option(
            "--sandbox", is_flag=True, help="Look up the counts of --sandbox runs (test mode)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def max_age(kwargs: dict[str, Any]) -> timedelta | None:
    text = kwargs.get("max_age")
    return None if text is None else parse_age(text)


def remember_key(key: str | None) -> None:
    if key:
        add_secret(key.strip())
        add_secret(key.strip().split()[-1])
