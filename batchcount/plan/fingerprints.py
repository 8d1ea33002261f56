"""Fingerprints: the same segment written differently gets the same one (duplicates are sent
once, and the journal recognises answered segments across runs, so the text must never change).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):  # the usual list cell, as below but 3x faster
            return sorted({" ".join(v.split()).casefold() for v in value})
        items = [_canonical(v) for v in value]
        # Lists of scalars are sets to the API (any value matches); nested lists (personas)
        # keep their order because position carries meaning there.
        if all(not isinstance(i, (list, dict)) for i in items):
            return sorted(set(items), key=lambda v: (str(type(v)), v))
        return items
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _canonical_text(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _member(name: str, value: Any) -> str:
    return f"{json.dumps(name, ensure_ascii=False)}:{_canonical_text(value)}"


@lru_cache(maxsize=65536)
def _cached_member(name: str, key: tuple[Any, ...]) -> str:
    """`"name":canonical JSON` of one value, from the hashable form `_value_key` gives it."""
    kind, *items = key
    return _member(name, items if kind == "list" else items[0])


def _value_key(value: Any) -> tuple[Any, ...] | None:
    """A hashable stand-in for a body value that only an equal value shares, else None.

    Types are part of the key: True == 1 and 1 == 1.0 in Python but not in JSON.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        types = set(map(type, value))
        if types <= {str} or types == {int}:
            return ("list", *value)
        return None
    if kind is str or kind is int or kind is bool or kind is float:
        return (kind.__name__, value)
    return None


def body_member(name: str, value: Any) -> str:
    """`"name":canonical JSON` of one body value: the piece of a fingerprint it contributes."""
    key = _value_key(value)
    return _cached_member(name, key) if key is not None else _member(name, value)


_ATOMS: dict[str, tuple[str, str]] = {}  # value -> (canonical text, its JSON)


def str_list_member(name_json: str, values: tuple[str, ...]) -> str:
    """`body_member` of a list of strings, from per-value pieces cached across cells.

    `name_json` is `json.dumps(name, ensure_ascii=False)`. A 100k-row sheet holds tens of
    thousands of distinct list cells made of a few hundred distinct values; the text is the
    same as `body_member`'s (tests compare them).
    """
    atoms = _ATOMS
    try:
        pairs = [atoms[v] for v in values]
    except KeyError:
        for value in values:
            if value not in atoms:
                text = " ".join(value.split()).casefold()
                atoms[value] = (text, json.dumps(text, ensure_ascii=False))
        pairs = [atoms[v] for v in values]
        if len(atoms) > 200_000:  # a hostile sheet of unique values: keep memory bounded
            atoms.clear()
    if len(pairs) == 1:  # the usual cell
        return f"{name_json}:[{pairs[0][1]}]"
    # (canonical text, JSON) pairs sort by the text; equal texts collapse to one
    return f"{name_json}:[{','.join([p[1] for p in sorted(set(pairs))])}]"


def fingerprint_prefix(mode: str) -> str:
    """What every fingerprint text starts with; the members follow, then `}]`."""
    return f"[{json.dumps(mode, ensure_ascii=False)},{{"


def hash_text(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def members_text(body: dict[str, Any]) -> str:
    """The members of a body joined in field order: what sits between the prefix and `}]`."""
    return ",".join([body_member(name, body[name]) for name in sorted(body)])


def fingerprint(body: dict[str, Any], mode: str) -> str:
    """Same segment -> same fingerprint, whatever the field order, list order, case or spacing.

    The hash of `json.dumps([mode, _canonical(body)], sort_keys=True, ...)`, assembled from
    per-value fragments: a 100k-row sheet repeats the same few values, so each is canonicalised
    once (3x faster than canonicalising every body whole; the text, so the hash, is the same).
    """
    return hash_text(f"{fingerprint_prefix(mode)}{members_text(body)}}}]")


def request_json(body: dict[str, Any]) -> str:
    """The exact JSON text sent (and shown in the `request` column)."""
    return json.dumps(body, ensure_ascii=False, separators=(", ", ": "))
