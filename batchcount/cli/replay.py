"""The options a user typed, as a command line that can be given back to them (never the key).

Generic over the command's Click parameters, so options added later are replayed too.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

# Replaced or dropped when a command is given back: where the output and journal go, the
# cap, --fresh (it would delete the journal being reused) and the key (a secret).
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
