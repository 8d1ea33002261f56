"""Access to the JSON files in `schemas/`, shipped inside the package as `batchcount.schemas`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def load_json(name: str) -> Any:
    """Load `schemas/<name>` (cached: the files never change at run time)."""
    try:
        text = resources.files("batchcount.schemas").joinpath(name).read_text(encoding="utf-8")
    except ModuleNotFoundError:
        # Running from a source checkout that shadows the installed package: the files sit
        # in the top-level schemas/ folder there.
        text = (Path(__file__).resolve().parent.parent / "schemas" / name).read_text("utf-8")
    return json.loads(text)


def request_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_json("count-request.schema.json")
    return schema


def vocabulary_data() -> dict[str, Any]:
    data: dict[str, Any] = load_json("vocabulary.json")
    return data


def mapping_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_json("mapping.schema.json")
    return schema


def countries_data() -> dict[str, Any]:
    """ISO 3166-1 countries and the names people type for them (tools/make_countries.py)."""
    data: dict[str, Any] = load_json("countries.json")
    return data
