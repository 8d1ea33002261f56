"""The API's request fields, derived from the shipped request schema.

One place knows each field's kind (how a cell becomes a JSON value), its allowed range and
whether database mode accepts it, so mapping, validation and the sandbox agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from batchcount.resources import request_schema

Kind = Literal["str_list", "int_list", "int", "bool", "json", "str"]

ANCHORS = ("company_name", "company_link", "company_id")

# Fields that shape a search's output, not which leads are counted: they never make a row
# "a real filter" (a body with only these would count every lead).
NON_FILTERS = frozenset(
    {
        "limit_by",
        "offset_by",
        "include_full_profile",
        "include_total_count",
        "max_profiles_scanned",
        "strict",
        "skip_truncated_names",
    }
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    enum: tuple[Any, ...] | None
    realtime_only: bool
    description: str


def _kind(prop: dict[str, Any]) -> Kind:
    t = prop.get("type")
    if t == "array":
        item_type = prop.get("items", {}).get("type")
        if item_type == "integer":
            return "int_list"
        if item_type == "string":
            return "str_list"
        return "json"  # personas: list of tuples
    if t == "integer":
        return "int"
    if t == "boolean":
        return "bool"
    if t == "object":
        return "json"
    return "str"


@cache
def all_fields() -> dict[str, FieldSpec]:
    schema = request_schema()
    db_ok = set(schema["x-database-mode"]["filters_accepted"]) | set(
        schema["x-database-mode"]["other_properties_in_LeadSearchRequest"]
    )
    out: dict[str, FieldSpec] = {}
    for name, prop in schema["properties"].items():
        enum = (
            prop.get("items", {}).get("enum") if prop.get("type") == "array" else prop.get("enum")
        )
        out[name] = FieldSpec(
            name=name,
            kind=_kind(prop),
            enum=tuple(enum) if enum else None,
            realtime_only=name not in db_ok,
            description=str(prop.get("description", "")),
        )
    return out


def field_names() -> list[str]:
    return sorted(all_fields())


def is_field(name: str) -> bool:
    return name in all_fields()
