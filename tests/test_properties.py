"""Property tests: parsing never raises, fingerprints are canonical, bodies are valid."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchcount.plan.cells import parse_cell
from batchcount.plan.estimate import fingerprint
from batchcount.plan.fields import all_fields, field_names
from batchcount.plan.mapping import map_columns
from batchcount.plan.placeholders import placeholder_problem
from batchcount.plan.rows import RowOptions, check_row
from batchcount.resources import request_schema, vocabulary_data

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VOCAB = vocabulary_data()
INDUSTRIES = [str(i["name"]) for i in VOCAB["industries"]]
FUNCTIONS = [str(f) for f in VOCAB["functions"]]
COMPANY_TYPES = [str(t) for t in VOCAB["company_types"]]
SENIORITIES = [str(s) for s in VOCAB["seniorities_documented_request_values"]]
HEADCOUNTS = [str(h) for h in VOCAB["headcounts"]]
LOCATIONS = ["United States", "Germany", "France", "United Kingdom", "Canada", "Spain", "Japan"]

SCHEMA = request_schema()
REALTIME_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
# The database body schema: its $refs point into the root document's properties.
DATABASE_VALIDATOR = jsonschema.Draft202012Validator(
    {**SCHEMA, "$ref": "#/$defs/DatabaseLeadCountRequest"}
)

SEPARATORS = st.sampled_from([";", ",", "|", "\n", " / "])
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC XYZ-&'", min_size=1, max_size=20).filter(
    lambda s: s.strip() != ""
)


# --- parse_cell never raises ---------------------------------------------------------------


@SETTINGS
@given(name=st.sampled_from(field_names()), text=st.text(max_size=80), separator=SEPARATORS)
def test_parse_cell_never_raises(name: str, text: str, separator: str) -> None:
    cell = parse_cell(name, text, separator)
    if cell.error is not None:
        assert cell.value is None
        assert cell.error.strip()
    assert cell.value not in ([], (), {}, "")  # an empty filter is absent, never sent empty


NUMBERISH = st.text(alphabet="0123456789,. +-;\n\u00a0xe", max_size=20)


@SETTINGS
@given(
    name=st.sampled_from(
        [n for n, f in all_fields().items() if f.kind in ("int", "int_list", "bool", "json")]
    ),
    text=st.one_of(NUMBERISH, st.text(max_size=30)),
)
def test_typed_cells_parse_to_their_schema_type(name: str, text: str) -> None:
    cell = parse_cell(name, text)
    if cell.value is None:
        return
    value = list(cell.value) if isinstance(cell.value, tuple) else cell.value
    prop_validator = jsonschema.Draft202012Validator(SCHEMA["properties"][name])
    assert prop_validator.is_valid(value), (name, text, value)


@SETTINGS
@given(
    texts=st.lists(st.text(max_size=40), min_size=6, max_size=6),
    mode=st.sampled_from(["realtime", "database"]),
    allow_unknown=st.booleans(),
)
def test_check_row_never_raises(texts: list[str], mode: Any, allow_unknown: bool) -> None:
    headers = ["Job Titles", "Company Headcounts", "Company Industries", "Company ID", "Personas"]
    headers.append("Num Of Connections")
    result = check_row(
        2, texts, headers, map_columns(headers), RowOptions(";", mode, allow_unknown)
    )
    assert result.status in ("valid", "invalid", "blank")
    assert (result.status == "invalid") == bool(result.errors)
    assert all(e.startswith("row 2") for e in result.errors)


# --- fingerprints --------------------------------------------------------------------------


def _bodies() -> st.SearchStrategy[dict[str, Any]]:
    lists = {
        "job_titles": st.lists(WORDS, min_size=1, max_size=4, unique_by=str.casefold),
        "seniorities": st.lists(st.sampled_from(SENIORITIES), min_size=1, max_size=3, unique=True),
        "locations": st.lists(st.sampled_from(LOCATIONS), min_size=1, max_size=3, unique=True),
        "company_industries": st.lists(
            st.sampled_from(INDUSTRIES), min_size=1, max_size=3, unique=True
        ),
        "company_headcounts": st.lists(
            st.sampled_from(HEADCOUNTS), min_size=1, max_size=3, unique=True
        ),
        "years_of_experience": st.lists(st.integers(1, 5), min_size=1, max_size=3, unique=True),
    }
    scalars = {"company_id": st.integers(1, 10**9), "changed_jobs": st.booleans()}
    return st.fixed_dictionaries({}, optional={**lists, **scalars}).filter(bool)


def _respell(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """The same segment written differently: key order, list order, case, spacing."""
    out: dict[str, Any] = {}
    for key in draw(st.permutations(list(body))):
        value = body[key]
        if isinstance(value, list):
            items: list[Any] = [
                draw(st.sampled_from([v, v.upper(), v.lower(), f"  {v} ", v.replace(" ", "  ")]))
                if isinstance(v, str)
                else v
                for v in draw(st.permutations(value))
            ]
            repeat = bool(items) and draw(st.booleans())
            value = [*items, items[0]] if repeat else items  # a repeated value changes nothing
        out[key] = value
    return out


@st.composite
def _body_and_respelling(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    body = draw(_bodies())
    return body, _respell(draw, copy.deepcopy(body))


@SETTINGS
@given(pair=_body_and_respelling(), mode=st.sampled_from(["realtime", "database"]))
def test_fingerprint_ignores_order_case_and_spacing(
    pair: tuple[dict[str, Any], dict[str, Any]], mode: str
) -> None:
    body, respelt = pair
    assert fingerprint(body, mode) == fingerprint(respelt, mode)


@SETTINGS
@given(body=_bodies(), data=st.data())
def test_fingerprint_changes_when_a_value_changes(
    body: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(body)))
    value = body[key]
    changed = dict(body)
    if isinstance(value, bool):
        changed[key] = not value
    elif isinstance(value, int):
        changed[key] = value + 1
    elif isinstance(value, list) and all(isinstance(v, int) for v in value):
        extra = [n for n in range(1, 7) if n not in value]
        changed[key] = [*value, extra[0]]
    else:
        folded = {v.casefold().strip() for v in value}
        new = data.draw(WORDS.filter(lambda w: " ".join(w.split()).casefold() not in folded))
        changed[key] = data.draw(st.sampled_from([[*value, new], [new], [*value[1:], new]]))
    assert fingerprint(changed, "realtime") != fingerprint(body, "realtime")
    dropped = {k: v for k, v in body.items() if k != key}
    if dropped:
        assert fingerprint(dropped, "realtime") != fingerprint(body, "realtime")


# --- every valid row's body is a valid request --------------------------------------------


def _cell(values: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[list[Any]]:
    return st.lists(values, min_size=0, max_size=max_size)


# free text that is a value, not a placeholder such as "-" or "none" (those are refused:
# tests/test_placeholders.py)
VALUES = WORDS.filter(lambda w: placeholder_problem(w.strip()) is None)
COLUMN_VALUES: dict[str, st.SearchStrategy[list[Any]]] = {
    "Job Titles": _cell(VALUES),
    "Seniority": _cell(st.sampled_from(SENIORITIES)),
    "Geo": _cell(st.sampled_from(LOCATIONS)),
    "Industry": _cell(st.sampled_from(INDUSTRIES)),
    "Exclude Industries": _cell(st.sampled_from(INDUSTRIES)),
    "Company Size": _cell(st.sampled_from(HEADCOUNTS)),
    "Company Type": _cell(st.sampled_from(COMPANY_TYPES)),
    "Function": _cell(st.sampled_from(FUNCTIONS)),
    "Keywords": _cell(VALUES),
    "Years Of Experience": _cell(st.integers(1, 5)),
    "Changed Jobs": _cell(st.sampled_from(["yes", "no", "TRUE", "FALSE", "x"]), 1),
    "Num Of Connections": _cell(st.sampled_from(["500-1000", "500+", '{"max": 50}']), 1),
    "Company ID": _cell(st.sampled_from(["2135371", "2135371.0", "2,135,371"]), 1),
}
DATABASE_HEADERS = {"Job Titles", "Seniority", "Geo", "Industry", "Exclude Industries"} | {
    "Company Size",
    "Company Type",
    "Company ID",
}


@st.composite
def _rows(draw: st.DrawFn) -> tuple[list[str], list[str], str, str]:
    mode = draw(st.sampled_from(["realtime", "database"]))
    separator = draw(st.sampled_from([";", "|", "\n"]))
    allowed = sorted(COLUMN_VALUES if mode == "realtime" else DATABASE_HEADERS)
    headers = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=6, unique=True))
    cells = [separator.join(str(v) for v in draw(COLUMN_VALUES[h])) for h in headers]
    return headers, cells, mode, separator


@SETTINGS
@given(row=_rows())
def test_valid_rows_build_schema_valid_bodies(row: tuple[list[str], list[str], str, str]) -> None:
    headers, cells, mode, separator = row
    options = RowOptions(separator, "database" if mode == "database" else "realtime")
    result = check_row(2, cells, headers, map_columns(headers), options)
    if result.status == "blank":
        return
    real_filters = [
        h for h, c in zip(headers, cells, strict=True) if c and c not in ("no", "FALSE")
    ]
    if not real_filters:
        assert result.status == "invalid"
        return
    assert result.status == "valid", result.errors
    assert result.body
    errors = [e.message for e in REALTIME_VALIDATOR.iter_errors(result.body)]
    assert errors == [], (result.body, errors)
    if mode == "database":
        assert DATABASE_VALIDATOR.is_valid(result.body), result.body
