"""How text from a user's file appears inside our messages: invisible characters made visible.

A header or cell may hold NUL, other control characters, or Unicode marks that reorder or hide
text (right-to-left overrides, zero-width spaces). Printed raw they garble the terminal, hide
what is wrong, or (escape sequences) change the terminal itself; shown escaped (\\x00, \\u202e)
the user can see and fix them.
"""

from __future__ import annotations

import re
import shlex

__all__ = ["INVISIBLE", "quoted", "shown"]

# C0 and C1 controls, DEL, zero-width and bidirectional formatting marks, BOM.
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with invisible characters escaped (line breaks kept when asked)."""
    if not INVISIBLE.search(text):
        return text
    if keep_newlines:
        return "\n".join(INVISIBLE.sub(_escape, line) for line in text.split("\n"))
    return INVISIBLE.sub(_escape, text)


def quoted(text: str) -> str:
    """A shell word for `text`: "double quotes" when that is safe, else 'single quotes'."""
    if not any(c in text for c in '"$`\\!') and not INVISIBLE.search(text):
        return f'"{text}"'
    return shlex.quote(text)
