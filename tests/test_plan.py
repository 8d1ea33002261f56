"""plan: fingerprints, duplicate merging, the estimate and money formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from batchcount.errors import InputFileError, UsageError
from batchcount.plan.estimate import (
    LIST_PRICE,
    Plan,
    estimate,
    fingerprint,
    make_plan,
    money,
    request_json,
)
from batchcount.plan.mapping import map_columns
from batchcount.plan.prepare import InputOptions, prepare
from batchcount.plan.rows import RowCheck, RowOptions, check_row

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)

HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts"]
COLUMNS = map_columns(HEADERS)


def checked(rows: list[list[str]], mode: str = "realtime") -> list[RowCheck]:
    options = RowOptions(mode="database" if mode == "database" else "realtime")
    return [check_row(i + 2, cells, HEADERS, COLUMNS, options) for i, cells in enumerate(rows)]


def valid(number: int, body: dict[str, Any]) -> RowCheck:
    return RowCheck(number, "valid", body)


# --- fingerprints --------------------------------------------------------------------------


def test_fingerprint_ignores_field_order_list_order_case_and_spacing() -> None:
    a = {"job_titles": ["CIO", "IT Director"], "locations": ["United States"]}
    b = {"locations": [" united  STATES "], "job_titles": ["it director", "cio", "CIO"]}
    assert fingerprint(a, "realtime") == fingerprint(b, "realtime")


def test_fingerprint_changes_with_a_value() -> None:
    base = {"job_titles": ["CIO"], "company_id": 5, "changed_jobs": True}
    fp = fingerprint(base, "realtime")
    assert fingerprint({**base, "job_titles": ["CTO"]}, "realtime") != fp
    assert fingerprint({**base, "job_titles": ["CIO", "CTO"]}, "realtime") != fp
    assert fingerprint({**base, "company_id": 6}, "realtime") != fp
    assert fingerprint({**base, "changed_jobs": False}, "realtime") != fp
    assert fingerprint({"job_titles": ["CIO"]}, "realtime") != fp


def test_fingerprint_differs_between_modes() -> None:
    body = {"job_titles": ["CIO"]}
    assert fingerprint(body, "realtime") != fingerprint(body, "database")


def test_fingerprint_keeps_persona_order_and_distinguishes_types() -> None:
    one = {"personas": [["CTO", "Software Development"], ["CFO"]]}
    two = {"personas": [["CFO"], ["CTO", "Software Development"]]}
    assert fingerprint(one, "realtime") != fingerprint(two, "realtime")
    assert fingerprint({"schools": [1, 2]}, "realtime") == fingerprint(
        {"schools": [2, 1]}, "realtime"
    )
    assert fingerprint({"exclude_ids": ["1"]}, "realtime") != fingerprint(
        {"exclude_ids": [1]}, "realtime"
    )


def test_fingerprint_ignores_key_order_inside_objects() -> None:
    a = {"num_of_connections": {"min": 5, "max": 9}}
    b = {"num_of_connections": {"max": 9, "min": 5}}
    assert fingerprint(a, "realtime") == fingerprint(b, "realtime")


def test_request_json_is_the_exact_body_text() -> None:
    body = {"job_titles": ["Café owner"], "company_id": 5}
    assert request_json(body) == '{"job_titles": ["Café owner"], "company_id": 5}'


# --- merging duplicates --------------------------------------------------------------------


def test_duplicates_in_other_order_case_and_spacing_merge_and_name_the_first_row() -> None:
    checks = checked(
        [
            ["a", "IT Director;CIO", "director;c_suite", "United States", "1001-5000"],
            ["b", "CTO", "", "France", ""],
            ["c", " cio ; it  director", "C_SUITE;director", "united states", "1001-5000"],
            ["", "", "", "", ""],
            ["d", "CIO;IT Director", "c_suite;director", "United States", "1001-5000"],
        ]
    )
    plan = make_plan(checks, "realtime")
    assert [r.check.status for r in plan.rows] == ["valid", "valid", "valid", "blank", "valid"]
    assert [r.duplicate_of for r in plan.rows] == [None, None, 2, None, 2]
    assert plan.rows[0].fingerprint == plan.rows[2].fingerprint == plan.rows[4].fingerprint
    assert plan.rows[3].fingerprint is None
    assert plan.duplicates == 2
    assert len(plan.requests) == 2
    assert list(plan.first_row.values()) == [2, 3]
    assert plan.requests[plan.rows[0].fingerprint or ""] == checks[0].body


def test_different_values_do_not_merge() -> None:
    plan = make_plan(
        checked(
            [
                ["a", "CIO", "", "United States", "51-200"],
                ["b", "CIO", "", "United States", "201-500"],
                ["c", "CIO", "", "United States;Canada", "51-200"],
            ]
        ),
        "realtime",
    )
    assert plan.duplicates == 0
    assert len(plan.requests) == 3


def test_canonical_values_merge_rows_written_differently() -> None:
    plan = make_plan(
        checked([["a", "CEO", "CXO", "", "10001+"], ["b", "CEO", "c_suite", "", "10 000+"]]),
        "realtime",
    )
    assert [r.duplicate_of for r in plan.rows] == [None, 2]


def test_invalid_rows_are_never_planned() -> None:
    checks = [
        RowCheck(2, "invalid", {"job_titles": ["CEO"]}, errors=("row 2: bad",)),
        valid(3, {"job_titles": ["CEO"]}),
    ]
    plan = make_plan(checks, "realtime")
    assert plan.rows[0].fingerprint is None and plan.rows[0].duplicate_of is None
    assert plan.rows[1].duplicate_of is None
    assert plan.first_row == {fingerprint({"job_titles": ["CEO"]}, "realtime"): 3}
    assert (plan.count("valid"), plan.count("invalid"), plan.count("blank")) == (1, 1, 0)


# --- estimate ------------------------------------------------------------------------------


def _plan(bodies: list[dict[str, Any]], invalid: int = 0, blank: int = 0) -> Plan:
    checks = [valid(i + 2, b) for i, b in enumerate(bodies)]
    n = len(checks) + 2
    checks += [RowCheck(n + i, "invalid", None, errors=("x",)) for i in range(invalid)]
    checks += [RowCheck(n + invalid + i, "blank", None) for i in range(blank)]
    return make_plan(checks, "realtime")


def test_estimate_arithmetic() -> None:
    bodies = [{"job_titles": [t]} for t in ["A", "B", "a", "C", "b", "A"]]
    plan = _plan(bodies, invalid=2, blank=1)
    est = estimate(plan, 0.04, "list price")
    assert (est.rows, est.valid, est.invalid, est.blank) == (9, 6, 2, 1)
    assert (est.duplicates, est.distinct, est.already_done, est.billable) == (3, 3, 0, 3)
    assert est.cost == pytest.approx(3 * 0.04)
    assert est.saved_by_merging == pytest.approx(3 * 0.04)
    assert est.saved_by_resuming == 0
    assert (est.price, est.price_source) == (0.04, "list price")


def test_estimate_with_journal_done_set() -> None:
    bodies = [{"job_titles": [t]} for t in ["A", "B", "C", "C"]]
    plan = _plan(bodies)
    done = {fingerprint({"job_titles": ["A"]}, "realtime"), fingerprint({"x": 1}, "realtime")}
    est = estimate(plan, 0.05, "--price", done)
    assert (est.distinct, est.already_done, est.billable) == (3, 1, 2)
    assert est.cost == pytest.approx(2 * 0.05)
    assert est.saved_by_resuming == pytest.approx(0.05)
    assert est.saved_by_merging == pytest.approx(0.05)
    all_done = estimate(plan, 0.05, "--price", set(plan.requests))
    assert (all_done.billable, all_done.cost) == (0, 0)


def test_estimate_free_database_and_list_prices() -> None:
    assert LIST_PRICE == {"realtime": 0.04, "database": 0.0}
    est = estimate(_plan([{"job_titles": ["A"]}]), LIST_PRICE["database"], "database")
    assert (est.billable, est.cost) == (1, 0)


def test_estimate_cost_is_rounded_float_noise_free() -> None:
    plan = _plan([{"job_titles": [str(i)]} for i in range(13)])
    assert money(estimate(plan, 0.04, "list price").cost) == "$0.52"


# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "$0.00"),
        (0.0, "$0.00"),
        (0.04, "$0.04"),
        (0.24, "$0.24"),
        (0.1 + 0.2, "$0.30"),
        (1234.56, "$1,234.56"),
        (1234567.891, "$1,234,567.89"),
        (0.004, "$0.004"),
        (0.0125, "$0.0125"),
        (0.00001, "$0.00001"),
        (-0.5, "-$0.50"),
        (12.345, "$12.35"),
    ],
)
def test_money(amount: float, text: str) -> None:
    assert money(amount) == text


# --- pipeline.prepare end to end -----------------------------------------------------------


def test_prepare_csv_end_to_end(make_csv: MakeFile) -> None:
    path = make_csv(
        [
            ["Segment", "Title", "Geo", "Company Size", "Notes"],
            ["a", "CIO;IT Director", "United States", "1001-5000", "first"],
            ["", "", "", "", ""],
            ["b", "it director; CIO", "united states", "1001-5000", ""],
            ["c", "CFO", "France", "50-200", ""],
            ["d", "CTO", "Germany", "10001+", ""],
        ]
    )
    prepared = prepare(InputOptions(path=path))
    assert prepared.mode == "realtime"
    assert prepared.sheet.row_numbers == [2, 3, 4, 5, 6]
    assert prepared.columns.fields == {1: "job_titles", 2: "locations", 3: "company_headcounts"}
    assert prepared.columns.passthrough == [0, 4]
    statuses = [r.check.status for r in prepared.plan.rows]
    assert statuses == ["valid", "blank", "valid", "invalid", "valid"]
    assert prepared.plan.rows[2].duplicate_of == 2
    assert prepared.plan.rows[3].check.errors[0].startswith("row 5, Company Size: '50-200'")
    assert prepared.plan.rows[4].check.body == {
        "job_titles": ["CTO"],
        "locations": ["Germany"],
        "company_headcounts": ["10 000+"],
    }
    est = estimate(prepared.plan, 0.04, "list price")
    assert (est.valid, est.invalid, est.blank, est.duplicates, est.billable) == (3, 1, 1, 1, 2)


def test_prepare_xlsx_with_typed_cells(make_xlsx: MakeFile) -> None:
    path = make_xlsx(
        [
            ["Job Titles", "Company ID", "Years Of Experience", "Changed Jobs", "Company Size"],
            ["CEO", 2135371, 3, True, datetime(2024, 1, 10)],
            ["CEO", 2135371.0, "3", "x", datetime(1950, 11, 1)],
        ],
        sheet="Plan",
    )
    prepared = prepare(InputOptions(path=path))
    bodies = [r.check.body for r in prepared.plan.rows]
    assert bodies == [
        {
            "job_titles": ["CEO"],
            "company_headcounts": ["1-10"],
            "company_id": 2135371,
            "years_of_experience": [3],
            "changed_jobs": True,
        },
        {
            "job_titles": ["CEO"],
            "company_headcounts": ["11-50"],
            "company_id": 2135371,
            "years_of_experience": [3],
            "changed_jobs": True,
        },
    ]
    assert all(r.check.status == "valid" for r in prepared.plan.rows)
    assert any("date" in n for n in prepared.plan.rows[0].check.notes)


def test_prepare_options_map_separator_mode_and_mapping_file(
    make_csv: MakeFile, tmp_path: Path
) -> None:
    path = make_csv([["Who", "Where", "Kw"], ["CEO|CFO", "France", "ai"]])
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'separator = "|"\nmode = "database"\n[columns]\nWho = "job_titles"\n'
        '[constants]\ncompany_types = ["Privately Held"]\n',
        encoding="utf-8",
    )
    prepared = prepare(
        InputOptions(path=path, maps=("Where=locations", "Kw="), mapping_file=mapping)
    )
    assert prepared.mode == "database"
    assert prepared.row_options.separator == "|"
    assert prepared.mapping is not None
    (planned,) = prepared.plan.rows
    assert planned.check.status == "valid"
    assert planned.check.body == {
        "job_titles": ["CEO", "CFO"],
        "locations": ["France"],
        "company_types": ["Privately Held"],
    }
    # the command line wins over the mapping file
    realtime = prepare(
        InputOptions(
            path=path,
            maps=("Where=locations",),
            mapping_file=mapping,
            mode="realtime",
            separator=";",
        )
    )
    assert realtime.mode == "realtime"
    assert realtime.plan.rows[0].check.body is not None
    assert realtime.plan.rows[0].check.body["job_titles"] == ["CEO|CFO"]


def test_prepare_checks_options_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a Generect count field"):
        prepare(InputOptions(path=tmp_path / "missing.csv", maps=("A=nope",)))
    with pytest.raises(InputFileError, match="does not exist"):
        prepare(InputOptions(path=tmp_path / "missing.csv"))


def test_prepare_ragged_row_is_invalid_rest_usable(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("Job Titles,Locations\nCEO,France\nCTO,Spain,extra\nCFO,Italy\n", "utf-8")
    prepared = prepare(InputOptions(path=path))
    statuses = [r.check.status for r in prepared.plan.rows]
    assert statuses == ["valid", "invalid", "valid"]
    (error,) = prepared.plan.rows[1].check.errors
    assert error.startswith("row 3 has 3 cells but the header has 2")
