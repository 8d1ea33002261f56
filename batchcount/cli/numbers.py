"""Number options that refuse what has no meaning: nan, inf, negatives, and zeros that would
make a run hang, spin or spend without a cap. A refusal is a usage error (exit 2), before
anything is read or sent."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:  # generic since click 8.2; subscripting it at run time would break 8.1
    _ParamType = click.ParamType[Any]
else:
    _ParamType = click.ParamType


class Number(_ParamType):
    """A finite number within [minimum, maximum]; `above`: the minimum itself is refused
    (e.g. a zero timeout). `words`: values passed through as they are (e.g. "auto")."""

    def __init__(
        self,
        what: str,
        minimum: float = 0.0,
        maximum: float | None = None,
        above: bool = False,
        integer: bool = False,
        example: str = "",
        words: tuple[str, ...] = (),
    ) -> None:
        self.name = "integer" if integer else "number"
        self.what = what
        self.minimum = minimum
        self.maximum = maximum
        self.above = above
        self.integer = integer
        self.example = example
        self.words = words

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number: float = value
        else:
            text = str(value).strip()
            if text.lower() in self.words:
                return text.lower()
            try:
                number = int(text) if self.integer else float(text)
            except ValueError:
                self._refuse(value, param, ctx)
        if not math.isfinite(number):
            self._refuse(value, param, ctx)
        too_low = number <= self.minimum if self.above else number < self.minimum
        if too_low or (self.maximum is not None and number > self.maximum):
            self._refuse(value, param, ctx)
        return int(number) if self.integer else float(number)

    def _refuse(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> NoReturn:
        low = f"above {self.minimum:g}" if self.above else f"{self.minimum:g} or more"
        span = f"{low}, up to {self.maximum:g}" if self.maximum is not None else low
        kind = "a whole number" if self.integer else "a number"
        words = "".join(f" or {w}" for w in self.words)
        example = f", e.g. {self.example}" if self.example else ""
        self.fail(
            f"{value!r} is not {self.what}: use {kind} {span}{words}{example}. Nothing was sent.",
            param,
            ctx,
        )


SECONDS = Number("a number of seconds", above=True, maximum=3600, example="30")
CONNECT_SECONDS = Number("a number of seconds", above=True, maximum=600, example="10")
RETRIES = Number("a number of retries", minimum=0, maximum=100, integer=True, example="5")
CONCURRENCY = Number(
    "a number of requests",
    minimum=1,
    maximum=500,
    integer=True,
    example="10",
    words=("auto",),
)
MAX_CONCURRENCY = Number("a number of requests", minimum=1, maximum=500, integer=True, example="50")
# 0 is meaningful for a cap: spend nothing (write the output from the journal)
DOLLARS_CAP = Number("an amount of dollars", minimum=0, example="5 (0 sends nothing)")
PRICE = Number("a price per request in dollars", above=True, maximum=100, example="0.04")
WAIT_SECONDS = Number("a number of seconds", minimum=0, example="120")
