"""The command line: the only package that prints, prompts, draws progress or exits.

Errors a user can act on become a message and an exit code, never a traceback.
"""

from __future__ import annotations

from batchcount.cli.common import redact, say
from batchcount.cli.main import cli, main
from batchcount.errors import EXIT_STOPPED, EXIT_USAGE

__all__ = ["EXIT_STOPPED", "EXIT_USAGE", "cli", "main", "redact", "say"]
