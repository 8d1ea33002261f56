"""Is the API key usable as typed? Checked before the input is read or anything is sent.

A key pasted from a chat, a PDF or a web page often carries characters nobody sees (a
zero-width space, a non-breaking space, a line break, a BOM). Sent as is, the request dies
inside the HTTP library or is refused with 401 after the run was confirmed; so such a key is
a usage error here, with the position and the kind of character, never the key itself.
"""

from __future__ import annotations

import re
import unicodedata

from batchcount.errors import UsageError

# "Token KEY" and "Bearer KEY" are accepted (the Authorization header's own form): the one
# place where a space belongs.
_SCHEME = re.compile(r"(?i)(token|bearer) +")
_QUOTES = "\"'`"
_WHERE = "GENERECT_API_KEY or --api-key"
_GET_IT = "copy the key again from your Generect account (Settings → API)"

_NAMES = {
    " ": "a space",
    "\t": "a tab",
    "\n": "a line break (\\n)",
    "\r": "a carriage return (\\r, from a Windows text file)",
    "\u00a0": "a non-breaking space (U+00A0)",
    "\u200b": "a zero-width space (U+200B)",
    "\u200c": "a zero-width non-joiner (U+200C)",
    "\u200d": "a zero-width joiner (U+200D)",
    "\u2060": "a word joiner (U+2060)",
    "\ufeff": "a byte-order mark (U+FEFF, invisible)",
    "\u00ad": "a soft hyphen (U+00AD, invisible)",
}


def describe_char(char: str) -> str:
    """A character named for a message, without printing it (it may be invisible)."""
    if char in _NAMES:
        return _NAMES[char]
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    category = unicodedata.category(char)
    if category == "Cc":
        return f"a control character ({code})"
    if category in ("Cf", "Zs", "Zl", "Zp") or char.isspace():
        kind = "an invisible character" if category == "Cf" else "a space character"
        return f"{kind} ({code}{' ' + name if name else ''})"
    return f"the non-ASCII character {code}{' ' + name if name else ''}"


def _bad(char: str) -> bool:
    # Keys are plain ASCII letters, digits and punctuation; anything else cannot be part of
    # one (and cannot even travel in an HTTP header).
    return not ("!" <= char <= "~")


def check_key(raw: str | None, where: str = _WHERE) -> str:
    """The key as given, if it can be a key; else UsageError saying what to fix.

    Never puts the key (or any part of it) in the message: only positions and the names of
    the characters that do not belong.
    """
    if raw is None or raw == "":
        raise UsageError(
            "no API key: set GENERECT_API_KEY or pass --api-key (or try --sandbox to run "
            "against the built-in test server)."
        )
    if not raw.strip() and all(c.isspace() for c in raw):
        raise UsageError(
            f"the API key ({where}) is blank: it holds only {len(raw)} space character(s). "
            f"Set it to your key: {_GET_IT}."
        )
    scheme = _SCHEME.match(raw)
    start = scheme.end() if scheme else 0
    key = raw[start:]
    if not key and scheme is not None:
        raise UsageError(
            f"the API key ({where}) is only the word '{scheme.group(1)}' with no key after "
            f"it. Set it to your key: {_GET_IT}."
        )
    bad = [(start + i, c) for i, c in enumerate(key) if _bad(c)]
    if bad:
        raise UsageError(_bad_chars_message(raw, bad, where))
    if len(key) >= 2 and key[0] in _QUOTES and key[-1] == key[0]:
        raise UsageError(
            f"the API key ({where}) is wrapped in quotes ({key[0]}...{key[0]}), which would be "
            "sent as part of it. Set it without the quotes (a .env file read without a shell "
            "keeps them)."
        )
    return raw


def _bad_chars_message(raw: str, bad: list[tuple[int, str]], where: str) -> str:
    first = bad[0][1]
    same = [pos + 1 for pos, c in bad if c == first]
    shown = ", ".join(str(p) for p in same[:5]) + (" ..." if len(same) > 5 else "")
    at = f"at position {shown}" if len(same) == 1 else f"at positions {shown}"
    others = sorted({describe_char(c) for _, c in bad if c != first})
    more = f"; it also contains {', '.join(others)}" if others else ""
    return (
        f"your API key ({where}) contains {describe_char(first)} {at} (of {len(raw)} "
        f"characters){more}, so it cannot be sent. Nothing was read or sent: "
        f"{'; '.join(_fixes(raw, bad))}."
    )


def _fixes(raw: str, bad: list[tuple[int, str]]) -> list[str]:
    """What to do, once per kind of problem, in the order they matter."""
    body_end = len(raw.rstrip())
    body_start = len(raw) - len(raw.lstrip())
    fixes: dict[str, str] = {}
    for pos, char in bad:
        edge = pos < body_start or pos >= body_end
        if char in "\r\n" and edge:
            fixes["eol"] = (
                "the value ends with a line break (a key file saved with a newline, or a "
                'Windows text file): set it without one, e.g. export GENERECT_API_KEY="$(tr -d '
                "'\\r\\n' < key.txt)\""
            )
        elif char.isspace() and edge:
            fixes["edge"] = "remove the spaces around the key"
        elif unicodedata.category(char) in ("Cf", "Cc") or char == "\u00a0":
            fixes["invisible"] = (
                "invisible characters come with a copy from a chat, a document or a web page: "
                f"{_GET_IT}, or type it, and paste it as plain text"
            )
        else:
            fixes["word"] = f"a key is a single word of plain letters and digits: {_GET_IT}"
    return list(fixes.values())
