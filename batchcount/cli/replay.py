"""The options a user typed, as a command line that can be given back to them (never the key).

Generic over the command's Click parameters, so options added later are replayed too.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

from batchcount.errors import UsageError
from batchcount.store.age import parse_age

# Replaced or dropped when a command is given back: where the output goes, --journal (taken
# over into the store already), the cap, --fresh and --max-age 0 (they would pay again for
# what the store holds) and the key (a secret).
NOT_REPLAYED = frozenset({"output", "journal", "max_cost", "fresh", "api_key"})


def typed_options(ctx: click.Context) -> tuple[tuple[str, ...], bool]:
    """(the arguments and options typed on the command line, minus NOT_REPLAYED; whether
    --api-key was typed). Values from the environment or defaults are left out."""
    arguments: list[str] = []
    options: list[str] = []
    key_typed = False
    for param in ctx.command.params:
        name = param.name or ""
        if ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        if name == "api_key":
            key_typed = True
        if name in NOT_REPLAYED:
            continue
        value = ctx.params.get(name)
        if name == "max_age" and _reuses_nothing(value):
            continue
        if isinstance(param, click.Argument):
            arguments.append(str(value))
            continue
        if not isinstance(param, click.Option):
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            if value and param.opts:
                options.append(flag)
            elif not value and param.secondary_opts:
                options.append(max(param.secondary_opts, key=len))
        elif param.multiple:
            for item in value or ():
                options += [flag, str(item)]
        elif value is not None:
            options += [flag, str(value)]
    return (*arguments, *options), key_typed


def _reuses_nothing(value: object) -> bool:
    try:
        return parse_age(str(value)).total_seconds() <= 0
    except UsageError:
        return False
