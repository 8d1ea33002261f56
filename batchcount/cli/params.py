"""Click option parsers shared by commands (callbacks, which work the same on every click 8)."""

from __future__ import annotations

import click


def concurrency(ctx: click.Context, param: click.Parameter, value: str) -> int | str:
    """`--concurrency auto` or a number of requests in flight (ranges: api.options)."""
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use auto (finds the API's limit) or a number of requests, e.g. 10."
        ) from None
