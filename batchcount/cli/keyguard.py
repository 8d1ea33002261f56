"""The API key at the command line: known to `redact` before click parses anything, and
checked (with where it came from) before the input is read.

Click reports a bad option or a stray argument before any command runs; if the key was in
the environment, or typed in the wrong place (`batchcount run in.xlsx KEY`), that message
could show it. So the key is registered from argv and the environment first, and usage
errors are also scrubbed of anything shaped like a key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import click
from click.core import ParameterSource

from batchcount.api.keycheck import check_key
from batchcount.cli.common import add_secret, redact

ENV = "GENERECT_API_KEY"
OPTION = "--api-key"

# Live keys are bare hex, test keys start with test_ (API contract): shapes worth hiding in
# a usage error even when we cannot know that the text was a key.
_KEY_SHAPED = re.compile(r"(?<![A-Za-z0-9_])(?:test_[A-Za-z0-9_-]{6,}|[0-9a-fA-F]{24,})")


def remember(raw: str | None) -> None:
    """Register every form of the key a message could quote: as given, trimmed, without its
    `Token `/`Bearer ` word, and without the invisible characters a copy may have added."""
    if not raw:
        return
    forms = {raw, raw.strip()}
    words = raw.split()
    if words:
        forms.add(words[-1])
    forms.add("".join(c for c in raw if "!" <= c <= "~"))
    for form in forms:
        # a 1-3 character "key", or the scheme word alone, would mask every word it is in
        if len(form.strip()) >= 4 and form.strip().lower() not in ("token", "bearer"):
            add_secret(form)


def remember_early(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Before click parses: the key from the environment and from `--api-key X` /
    `--api-key=X`, wherever they are on the command line."""
    remember(environ.get(ENV))
    for i, arg in enumerate(argv):
        if arg == OPTION and i + 1 < len(argv):
            remember(argv[i + 1])
        elif arg.startswith(OPTION + "="):
            remember(arg[len(OPTION) + 1 :])


def scrub_usage(text: str) -> str:
    """A click usage error, redacted and without anything shaped like a key."""
    return _KEY_SHAPED.sub("***", redact(text))


def guard_key(api_key: str | None, sandbox: bool) -> None:
    """`run`'s key: remembered, then checked first (unless --sandbox, which ignores it), with
    the message naming where it came from."""
    remember(api_key)
    if sandbox:
        return
    where = f"{ENV} or {OPTION}"
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        source = ctx.get_parameter_source("api_key")
        if source is ParameterSource.ENVIRONMENT:
            where = f"from the environment variable {ENV}"
        elif source is ParameterSource.COMMANDLINE:
            where = f"from {OPTION}"
    check_key(api_key, where)
