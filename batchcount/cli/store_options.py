"""Options `run` and `check` share: the count store, and the API options (so both look up
the same stored counts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import add_secret
from batchcount.net.endpoint import DEFAULT_BASE_URL
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


def endpoint_options(
    key_help: str, base_help: str, sandbox_help: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--api-key, --base-url and --sandbox: one spelling, env variable and default for `run`
    and `check` (so both look up the same stored counts), each command's own help."""
    options = [
        click.option(
            "--api-key",
            envvar="GENERECT_API_KEY",
            metavar="KEY",
            show_envvar=True,
            help=key_help,
        ),
        click.option(
            "--base-url",
            envvar="GENERECT_API_BASE",
            metavar="URL",
            show_envvar=True,
            default=DEFAULT_BASE_URL,
            show_default=True,
            help=base_help,
        ),
        click.option("--sandbox", is_flag=True, help=sandbox_help),
    ]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def max_age(kwargs: dict[str, Any]) -> timedelta | None:
    text = kwargs.get("max_age")
    return None if text is None else parse_age(text)


def remember_key(key: str | None) -> None:
    if key:
        add_secret(key.strip())
        add_secret(key.strip().split()[-1])
