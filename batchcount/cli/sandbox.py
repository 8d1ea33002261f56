"""`batchcount sandbox`: the test-mode stand-in as a standalone server."""

from __future__ import annotations

import signal

import click

from batchcount.cli.common import say
from batchcount.cli.numbers import PRICE
from batchcount.errors import (
    UsageError,
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0 = any free one).")
@click.option(
    "--latency",
    default=0.0,
    show_default=True,
    type=float,
    help="Seconds added to every count answer.",
)
@click.option(
    "--fail-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Share of count requests answered with a transient 500/502/429.",
)
@click.option(
    "--latency-max",
    type=float,
    metavar="S",
    help="Spread: each count answer waits a uniform draw between --latency and this.",
)
@click.option(
    "--max-parallel",
    type=int,
    metavar="N",
    help="Hidden parallel limit: count requests beyond N in flight are answered 429.",
)
@click.option(
    "--retry-after/--no-retry-after",
    default=True,
    show_default=True,
    help="Whether 429s carry Retry-After: 1 (test mode does; the live API does not).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for injected faults.")
@click.option(
    "--price",
    default=0.04,
    show_default=True,
    type=PRICE,
    help="The account's realtime price: the tier endpoint and every amount_charged.",
)
def sandbox(
    host: str,
    port: int,
    latency: float,
    fail_rate: float,
    latency_max: float | None,
    max_parallel: int | None,
    retry_after: bool,
    seed: int,
    price: float,
) -> None:
    """Run the Generect test-mode stand-in on loopback (no real data, nothing charged)."""
    from batchcount.net.endpoint import is_loopback
    from batchcount.sandbox.server import SANDBOX_KEY, SandboxConfig, SandboxServer

    if not is_loopback(host):
        raise UsageError(f"--host {host}: the sandbox only listens on loopback (127.0.0.1, ::1).")
    if not 0 <= fail_rate <= 1:
        raise UsageError(f"--fail-rate {fail_rate}: use a share between 0 and 1, e.g. 0.1.")
    if latency < 0 or (latency_max is not None and latency_max < latency):
        raise UsageError(
            f"--latency {latency} / --latency-max {latency_max}: use seconds, 0 or more, "
            "with --latency-max at least --latency."
        )
    if max_parallel is not None and max_parallel < 0:
        raise UsageError(f"--max-parallel {max_parallel}: use 0 or more requests.")
    config = SandboxConfig(
        host=host,
        port=port,
        latency=latency,
        latency_max=latency_max,
        fail_rate=fail_rate,
        max_parallel=max_parallel,
        retry_after_on_429=retry_after,
        seed=seed,
        price=price,
    )
    server = SandboxServer(config)
    try:
        server.start()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror}); try --port 0."
        ) from None
    say(f"Sandbox listening on {server.url} (test mode). Point batchcount at it with:", err=False)
    say(
        f"  GENERECT_API_BASE={server.url} GENERECT_API_KEY={SANDBOX_KEY} batchcount run FILE",
        err=False,
    )
    say("Press Ctrl-C to stop.", err=False)
    try:
        signal.pause() if hasattr(signal, "pause") else server.serve_forever()
    except KeyboardInterrupt:
        say("Sandbox stopped.", err=False)
    finally:
        server.stop()
