"""Which encoding a text spreadsheet is in, when it is not UTF-8 or UTF-16.

Excel on Windows writes CSV in the ANSI code page (Windows-1252 in the West), old Mac Excel
in Mac Roman, Linux tools in Latin-9 (ISO-8859-15), Japanese Excel in Shift-JIS (cp932).
Each of these decodes the others' bytes without an error but as garbage ("gŽnŽral" for
"général"), so the candidates are compared on how plausible their text is: accented
letters inside words, not capitals after lower case or symbols glued to letters. Scripts
that read as garbage in all of these (Cyrillic, Chinese, Korean, ...) are recognised with
charset-normalizer and refused with the --encoding to pass, showing how the first line reads.
"""

from __future__ import annotations

import re
import unicodedata

from batchcount.errors import InputFileError

_SAMPLE_LINES = 400
_SAMPLE_BYTES = 64 * 1024
# Tried in this order; a later one must read clearly better to win.
_CANDIDATES = ("cp1252", "iso8859_15", "mac_roman", "cp1250", "cp932")
_WORDS = {
    "cp1252": "Windows-1252",
    "iso8859_15": "Latin-9 (ISO-8859-15)",
    "mac_roman": "Mac Roman",
    "cp1250": "Windows-1250 (Central European)",
    "cp932": "Shift-JIS (Japanese, cp932)",
}
_OPENERS = set("“‘„‚«‹¿¡([{\"'")
_CLOSERS = set("”’»›)]}\"'.,;:!?%")
_LIGATURES = set("œŒ")
_TOLERATED = 0.02
_CURRENCY_PLACEHOLDER = "¤"  # Latin-9's € read as Windows-1252


def decode_legacy(data: bytes, name: str) -> tuple[str, str, str]:
    """(text, codec, words) for bytes that are not valid UTF-8; InputFileError to refuse."""
    sample = _non_ascii_lines(data)
    scores: dict[str, float] = {}
    for codec in _CANDIDATES:
        try:
            scores[codec] = _oddness(sample.decode(codec))
        except UnicodeDecodeError:
            continue
    best = min(scores, key=lambda c: (round(scores[c], 2), _CANDIDATES.index(c)), default=None)
    # a stray symbol in a long Windows-1252 file ("•CTO") is not a reason to refuse it
    if best is None or scores[best] > (_TOLERATED if best == "cp1252" else 0):
        # no candidate reads cleanly: ask charset-normalizer what it is, and refuse with it
        codec, preview = _guess(sample) or (best or "cp1252", "")
        raise InputFileError(_refusal(name, sample, codec, preview))
    try:
        text = data.decode(best)
    except UnicodeDecodeError as exc:  # beyond the sample
        raise InputFileError(_refusal(name, sample, best, "") + f" (byte {exc.start})") from None
    if best == "cp1252":
        return text, best, "Windows-1252 (the file is not valid UTF-8)"
    return (
        text,
        best,
        f"{_WORDS[best]} (detected: the file is not valid UTF-8 and reads as garbled "
        f"Windows-1252; pass --encoding if this is wrong)",
    )


def _non_ascii_lines(data: bytes) -> bytes:
    """The lines that hold non-ASCII bytes: all that tells encodings apart."""
    lines = [line for line in data[: _SAMPLE_BYTES * 16].splitlines() if max(line, default=0) > 127]
    return b"\n".join(lines[:_SAMPLE_LINES])[:_SAMPLE_BYTES]


_WORD = re.compile(r"[^\W\d_]{3,}")


def _oddness(text: str) -> float:
    """Share of non-ASCII characters in an implausible place (0 = all plausible)."""
    odd = total = 0
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        total += 1
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        odd += _is_odd(ch, before, after)
    for word in _WORD.findall(text):
        # Latin words are mostly ASCII letters; Cyrillic read as Windows-1252 ("Äèðåêòîð") is not
        accented = sum(1 for ch in word if "\x80" <= ch < "\u0250")
        if accented * 2 > len(word):
            odd += accented
    return odd / total if total else 0.0


def _latin(ch: str) -> bool:
    return ch.isalpha() and ch < "\u0250"


def _is_odd(ch: str, before: str, after: str) -> bool:
    category = unicodedata.category(ch)
    if ch == _CURRENCY_PLACEHOLDER or category in {"Cc", "Cn", "Co", "Cs"}:
        return True
    if category in {"Lo", "Lm", "Lt"} or ch >= "\u2e80":  # CJK, kana, their punctuation
        return False
    if not (_latin(before) or _latin(after)) and (before.isalpha() or after.isalpha()):
        return False  # next to letters of another script: judged by the word rule
    if category == "Ll":
        if ch in _LIGATURES:
            return not after.isalpha()  # œ always leads a vowel: cœur, œuvre
        return not (before.isalpha() or after.isalpha())
    if category == "Lu":
        if ch in _LIGATURES:
            return not after.isalpha()
        return before.isalpha() and before.islower()  # "gŽn" is never real text
    if ch == "´":  # an apostrophe after a letter (don´t); Latin-9's Ž misread when word-initial
        return not before.isalpha() and after.isalpha()
    if ch in _OPENERS:
        return before.isalpha()  # "sprzeda¿y": an opening mark inside a word
    if ch in _CLOSERS:
        return False
    # a symbol glued to a word on both sides ("Espa–a"), or opening one ("¦ef", "…sterreich")
    return after.isalpha() and (before.isalpha() or not before.isalnum())


def _guess(sample: bytes) -> tuple[str, str] | None:
    """(codec, how the first line reads in it) from charset-normalizer, else None."""
    if not sample:
        return None
    from charset_normalizer import from_bytes  # 30 ms to import: only for odd files

    best = from_bytes(sample).best()
    if best is None:
        return None
    text = str(best).strip()
    return best.encoding, text.splitlines()[0][:60] if text else ""


def _refusal(name: str, sample: bytes, codec: str, preview: str) -> str:
    garbled = sample.decode("cp1252", errors="replace").strip().splitlines()
    shown = f" (it would read as {garbled[0][:60]!r})" if garbled else ""
    reads = f", which reads {preview!r}" if preview else ""
    return (
        f"{name} is not UTF-8, and Windows-1252 would read it as garbage{shown}. It looks "
        f"like {codec}{reads}: rerun with --encoding {codec}, or save it from Excel as "
        "'CSV UTF-8' and retry"
    )
