"""Before and after a run: the command that finishes a stopped run (for the Summary), and the
refusal of very large --explode rows when nobody is asked (-y)."""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from batchcount.api.options import RunOptions
from batchcount.errors import UsageError
from batchcount.net.endpoint import DEFAULT_BASE_URL
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS
from batchcount.plan.prepare import Prepared
from batchcount.store.age import describe_age


def resume_command(options: RunOptions, output: Path) -> str:
    """The run again, spelt out: what decides the segments and where answers are kept.

    Never the API key (it comes from GENERECT_API_KEY or --api-key, as before), never
    credentials inside the base URL.
    """
    if options.command:  # what the user typed (cli/replay.py), so every option is kept
        # --journal is not repeated: its counts were taken over into the store
        return shlex.join(["batchcount", "run", *options.command, "-o", str(output)])
    inputs = options.inputs
    words = ["batchcount", "run", str(inputs.path), "-o", str(output)]
    if inputs.sheet:
        words += ["--sheet", inputs.sheet]
    for item in inputs.maps:
        words += ["--map", item]
    if inputs.mapping_file:
        words += ["--mapping", str(inputs.mapping_file)]
    if inputs.separator:
        words += ["--separator", inputs.separator]
    if inputs.encoding:
        words += ["--encoding", inputs.encoding]
    if inputs.mode:
        words += ["--mode", inputs.mode]
    if inputs.allow_unknown:
        words.append("--allow-unknown-values")
    for column in inputs.explode:
        words += ["--explode", column]
    if inputs.max_segments != DEFAULT_MAX_SEGMENTS:
        words += ["--max-segments", str(inputs.max_segments)]
    if options.sandbox:
        words.append("--sandbox")
    elif options.base_url and options.base_url.rstrip("/") != DEFAULT_BASE_URL:
        parts = urlsplit(options.base_url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        words += ["--base-url", urlunsplit((parts.scheme, netloc, parts.path, "", ""))]
    # No --max-cost: the same cap would stop again before the end. The command has no -y,
    # so it shows the cost of the rest and asks before spending.
    if options.price is not None:
        words += ["--price", f"{options.price:g}"]
    if options.store is not None:  # the counts of this run are there
        words += ["--store", str(options.store)]
    if options.max_age is not None and options.max_age.total_seconds() > 0:
        words += ["--max-age", describe_age(options.max_age)]
    return shlex.join(words)


def refuse_large_rows(prepared: Prepared, yes: bool) -> None:
    """With -y nobody sees the prompt: a row beyond --max-segments is refused (exit 2, nothing
    sent) until the limit is raised on purpose. Interactive runs name it before the prompt."""
    large = prepared.large_rows
    if not large or not yes:
        return
    shown = ", ".join(f"row {row} ({count:,} segments)" for row, count in large[:5])
    more = f" and {len(large) - 5} more" if len(large) > 5 else ""
    biggest = max(count for _, count in large)
    raise UsageError(
        f"--explode makes {shown}{more}, more than --max-segments {prepared.max_segments:,}; "
        "each segment is a billable request and -y skips the prompt. Run `batchcount check` "
        f"to see the cost, then raise the limit on purpose (--max-segments {biggest}) or run "
        "without -y."
    )
