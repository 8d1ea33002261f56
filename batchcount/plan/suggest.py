"""Did-you-mean suggestions over a closed list of values (industries, functions, company
types...): exact ignoring spelling, then containment by words, then close spellings.

Cached per list and per value: the same few unknown values repeat over 100k rows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["did_you_mean", "quoted_list", "spelling_key", "suggest"]


def spelling_key(text: str) -> str:
    """Spelling-insensitive key: case, spacing, punctuation and '&' vs 'and' ignored."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold().replace("&", " and "))


_STOPWORDS = frozenset({"a", "an", "and", "of", "the", "for", "in", "or", "to"})


@lru_cache(maxsize=4096)
def _tokens(text: str) -> frozenset[str]:
    """Content words with a light plural strip, for containment matching."""
    words = re.findall(r"[0-9a-z]+", text.casefold().replace("&", " and "))
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in words
        if w not in _STOPWORDS
    )


def quoted_list(items: Sequence[str], joiner: str = "or") -> str:
    q = [f"'{i}'" for i in items]
    return q[0] if len(q) == 1 else f"{', '.join(q[:-1])} {joiner} {q[-1]}"


def did_you_mean(suggestions: Sequence[str]) -> str:
    return f"; did you mean {quoted_list(suggestions)}?" if suggestions else ""


# --- suggestions -------------------------------------------------------------------------


def suggest(value: str, candidates: Sequence[str], *, limit: int = 3) -> list[str]:
    """Rank candidates for a did-you-mean: exact (ignoring case and punctuation), then
    containment by words, then close spellings (difflib), then words with close spellings."""
    if limit <= 0 or not value.strip():
        return []
    return list(_suggest(value, tuple(candidates), limit))


@lru_cache(maxsize=64)
def _prepared(
    candidates: tuple[str, ...],
) -> tuple[tuple[frozenset[str], ...], list[str], tuple[str, ...]]:
    """Per-candidate word sets, all distinct words and keys, worked out once per list."""
    words = tuple(_tokens(c) for c in candidates)
    return words, sorted(set().union(*words)), tuple(spelling_key(c) for c in candidates)


@lru_cache(maxsize=4096)
def _suggest(value: str, candidates: tuple[str, ...], limit: int) -> tuple[str, ...]:
    folded, vkey, vt = value.casefold(), spelling_key(value), _tokens(value)
    words, vocabulary, keys = _prepared(candidates)
    found = dict.fromkeys(c for c, k in zip(candidates, keys, strict=True) if k == vkey)

    def ratio(c: str) -> float:
        return difflib.SequenceMatcher(None, folded, c.casefold()).ratio()

    if vt:
        contained = [
            c for c, ct in zip(candidates, words, strict=True) if ct and (vt <= ct or ct <= vt)
        ]
        contained.sort(key=lambda c: (len(vt ^ _tokens(c)), -ratio(c), c))
        found.update(dict.fromkeys(contained))
    if not found:  # spelling fallbacks only: they would add noise ('Marketing' ~ 'Farming')
        by_fold = {c.casefold(): c for c in reversed(candidates)}  # first spelling wins
        close = difflib.get_close_matches(folded, list(by_fold), n=limit, cutoff=0.7)
        found.update(dict.fromkeys(by_fold[c] for c in close))
    if not found and vt:  # words spelt nearly right: 'Sofware' finds 'Software Development'
        # Short words must match exactly: one letter changes them into another word.
        near = {
            t: set(difflib.get_close_matches(t, vocabulary, len(vocabulary), 0.8))
            if len(t) >= 4
            else {t}
            for t in vt
        }
        fuzzy = [
            c for c, ct in zip(candidates, words, strict=True) if all(near[t] & ct for t in vt)
        ]
        fuzzy.sort(key=lambda c: (len(_tokens(c)) - len(vt), -ratio(c), c))
        found.update(dict.fromkeys(fuzzy))
    return tuple(found)[:limit]
