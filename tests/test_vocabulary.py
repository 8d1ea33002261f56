"""Tests for batchcount.plan.vocabulary: canonical spellings, Excel-date repair, suggestions."""

from __future__ import annotations

import time

import pytest

from batchcount.plan import hints as hints
from batchcount.plan.vocabulary import ValueCheck, check_values, checked_fields, suggest
from batchcount.resources import request_schema, vocabulary_data

VOCAB = vocabulary_data()
INDUSTRIES = {i["name"] for i in VOCAB["industries"]}
CODES = tuple(VOCAB["seniorities_documented_request_values"])
BUCKETS = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10 000+")
INDUSTRY_FIELDS = [
    "company_industries",
    "exclude_company_industries",
    "lead_industries",
    "exclude_lead_industries",
]


def one(field: str, value: str, *, allow_unknown: bool = False) -> ValueCheck:
    return check_values(field, [value], allow_unknown=allow_unknown)


# --- general ---------------------------------------------------------------------------


def test_checked_fields() -> None:
    fields = checked_fields()
    assert {
        "company_headcounts",
        "exclude_company_headcounts",
        *INDUSTRY_FIELDS,
        "company_types",
        "seniorities",
        "functions",
        "exclude_functions",
        "filter_empty_vars",
        "locations",
        "company_locations",
    } <= fields
    assert "job_titles" not in fields
    assert fields <= set(request_schema()["properties"])  # only real request fields


def test_unhandled_field_is_unchanged() -> None:
    result = check_values("job_titles", ["CEO", "ceo", "CEO"])
    assert result == ValueCheck(("CEO", "ceo", "CEO"), (), (), ())


def test_empty_cell() -> None:
    assert check_values("company_industries", []) == ValueCheck((), (), (), ())


def test_order_kept_and_duplicates_dropped_after_canonicalising() -> None:
    assert check_values("seniorities", ["CXO", "c_suite"]).values == ("c_suite",)
    result = check_values(
        "company_industries", ["Banking", "software development", "Software Development"]
    )
    assert result.values == ("Banking", "Software Development")
    assert "duplicate 'Software Development' dropped" in result.notes
    assert result.errors == ()


def test_messages_carry_no_row_prefix() -> None:
    result = check_values("company_industries", ["Fintech", "software development"])
    for message in result.errors + result.notes:
        assert message.startswith("'")


def test_repeated_cells_are_cached() -> None:
    first = check_values("company_industries", ["Software Development", "Banking"])
    second = check_values("company_industries", ("Software Development", "Banking"))
    assert first is second
    start = time.perf_counter()
    for _ in range(100_000):
        check_values("company_headcounts", ["10001+", "1-10"])
    assert time.perf_counter() - start < 2.0


def test_unknown_value_cost_is_paid_once() -> None:
    check_values("company_industries", ["Quantum Basket Weaving"])
    start = time.perf_counter()
    for _ in range(10_000):
        check_values("company_industries", ["Quantum Basket Weaving", "Banking"])
    assert time.perf_counter() - start < 1.0


# --- headcounts -------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", BUCKETS)
def test_canonical_buckets_pass_silently(bucket: str) -> None:
    assert one("company_headcounts", bucket) == ValueCheck((bucket,), (), (), ())


@pytest.mark.parametrize(
    "text",
    [
        "10001+",
        "10000+",
        "10,000+",
        "10 001+",
        "10.000+",
        "10 000 +",
        "10\u00a0000+",
        "10\u2009000+",
        "10\u202f000+",
        "10,001+",
        "10k+",
        "10000 or more",
        ">10000",
    ],
)
def test_top_bucket_spellings(text: str) -> None:
    for field in ("company_headcounts", "exclude_company_headcounts"):
        result = one(field, text)
        assert result.values == ("10 000+",)
        assert result.errors == () and result.warnings == ()
        assert result.notes == (f"'{text}' → '10 000+' (the API's spelling of the top bucket)",)


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        ("1 - 10", "1-10"),
        ("1–10", "1-10"),
        ("1—10", "1-10"),
        ("1 − 10", "1-10"),
        ("51 to 200", "51-200"),
        ("51 TO 200", "51-200"),
        ("1,001-5,000", "1001-5000"),
        ("1 001 - 5 000", "1001-5000"),
        ("5.001-10.000", "5001-10000"),
        ("201 – 500", "201-500"),
    ],
)
def test_bucket_spelling_variants(text: str, bucket: str) -> None:
    result = one("company_headcounts", text)
    assert result.values == (bucket,)
    assert result.notes == (f"'{text}' → '{bucket}'",)
    assert result.errors == ()


@pytest.mark.parametrize(
    ("text", "bucket"),
    [
        # xlsx cells read as dates, then rendered as text
        ("2024-01-10 00:00:00", "1-10"),
        ("2024-10-01 00:00:00", "1-10"),
        ("2019-01-10 00:00:00", "1-10"),
        ("2024-01-10T00:00:00", "1-10"),
        ("1950-11-01 00:00:00", "11-50"),
        # CSV exported by Excel
        ("10-Jan", "1-10"),
        ("Jan-10", "1-10"),
        ("1-Oct", "1-10"),
        ("Oct-01", "1-10"),
        ("Nov-50", "11-50"),
        ("50-Nov", "11-50"),
        ("01/10/2024", "1-10"),
        ("1/10/2024", "1-10"),
        ("10/1/2024", "1-10"),
        ("11/1/1950", "11-50"),
        ("1/11/1950", "11-50"),
        ("2024-01-10", "1-10"),
        ("1950-11-01", "11-50"),
        ("10-jan", "1-10"),
        ("Nov-1950", "11-50"),
        ("10-Jan-24", "1-10"),
    ],
)
def test_excel_date_damage_is_repaired(text: str, bucket: str) -> None:
    result = one("company_headcounts", text)
    assert result.values == (bucket,)
    assert result.errors == ()
    assert result.notes == (
        f"'{text}' looks like Excel turned '{bucket}' into a date; sent as '{bucket}' "
        "(format the column as Text to stop this)",
    )


@pytest.mark.parametrize("text", ["2024-03-05", "1-Nov", "11-Nov", "Jan-2024", "3/4/2024"])
def test_other_dates_are_errors(text: str) -> None:
    result = one("company_headcounts", text)
    assert result.values == (text,)
    (error,) = result.errors
    assert error.startswith(f"'{text}' looks like a date")
    assert "format the column as Text" in error and "(buckets: 1-10, 11-50" in error


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("50-200", "did you mean '51-200'?"),
        ("1000-5000", "did you mean '1001-5000'?"),
        ("10000-50000", "did you mean '10 000+'?"),
        ("250", "did you mean '201-500'?"),
        ("7", "did you mean '1-10'?"),
        ("20000", "did you mean '10 000+'?"),
        ("1-50", "it spans '1-10' and '11-50': list those instead"),
        ("5000+", "it spans '5001-10000' and '10 000+': list those instead"),
    ],
)
def test_unknown_buckets_suggest_the_nearest(text: str, hint: str) -> None:
    result = one("company_headcounts", text)
    assert result.values == (text,)
    assert result.errors == (
        f"'{text}' is not a headcount bucket; {hint} (buckets: {', '.join(BUCKETS)})",
    )


def test_unparseable_bucket_lists_the_buckets() -> None:
    assert one("company_headcounts", "small").errors == (
        f"'small' is not a headcount bucket; use one of: {', '.join(BUCKETS)}",
    )


def test_unknown_bucket_stays_an_error_even_when_unknown_values_are_allowed() -> None:
    # The API answers 400 for unknown buckets: sending one could never give a count.
    result = one("company_headcounts", "50-200", allow_unknown=True)
    (error,) = result.errors
    assert "'51-200'" in error and result.warnings == ()


# --- industries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("software development", "Software Development"),
        ("Software  Development", "Software Development"),
        ("SOFTWARE DEVELOPMENT", "Software Development"),
        ("IT Services & IT Consulting", "IT Services and IT Consulting"),
        ("it services and it consulting", "IT Services and IT Consulting"),
        (
            "Retail Recyclable Materials and Used Merchandise",
            "Retail Recyclable Materials & Used Merchandise",
        ),
        ("non-profit organizations", "Non-profit Organizations"),
        (
            "Transportation Logistics Supply Chain and Storage",
            "Transportation, Logistics, Supply Chain and Storage",
        ),
    ],
)
def test_industry_spelling_is_fixed(text: str, name: str) -> None:
    for field in INDUSTRY_FIELDS:
        result = one(field, text)
        assert result.values == (name,)
        assert result.notes == (f"'{text}' → '{name}'",)
        assert result.errors == () and result.warnings == ()


def test_exact_industry_passes_silently() -> None:
    assert one("company_industries", "Banking") == ValueCheck(("Banking",), (), (), ())


def test_fintech_and_saas_are_errors_with_the_fix() -> None:
    assert one("company_industries", "Fintech").errors == (
        "'Fintech' is not a LinkedIn industry; did you mean 'Financial Services'?",
    )
    assert one("company_industries", "SaaS").errors == (
        "'SaaS' is not a LinkedIn industry; did you mean 'Software Development'?",
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Software", "Software Development"),
        ("Tech", "Software Development"),
        ("IT", "IT Services and IT Consulting"),
        ("Healthcare", "Hospitals and Health Care"),
        ("Pharma", "Pharmaceutical Manufacturing"),
        ("Biotech", "Biotechnology Research"),
        ("Automotive", "Motor Vehicle Manufacturing"),
        ("Telecom", "Telecommunications"),
        ("Marketing", "Advertising Services"),
        ("Consulting", "Business Consulting and Services"),
        ("Government", "Government Administration"),
        ("Non-profit", "Non-profit Organizations"),
        ("Logistics", "Transportation, Logistics, Supply Chain and Storage"),
        ("Legal", "Law Practice"),
        ("Gaming", "Computer Games"),
        ("AI", "Software Development"),
        ("E-commerce", "Online and Mail Order Retail"),
        ("Computer Software", "Software Development"),
        ("Information Technology and Services", "IT Services and IT Consulting"),
        ("Fintech startups", "Financial Services"),
        ("Software Developmen", "Software Development"),
        ("Sofware Development", "Software Development"),
        ("Hospital", "Hospitals"),
    ],
)
def test_industry_suggestions(text: str, first: str) -> None:
    (error,) = one("company_industries", text).errors
    assert error.startswith(f"'{text}' is not a LinkedIn industry; did you mean '{first}'")


def test_industry_without_any_suggestion() -> None:
    assert one("company_industries", "xyzzy").errors == (
        "'xyzzy' is not a LinkedIn industry; use an exact LinkedIn industry name",
    )


def test_unknown_industry_allowed_is_sent_with_a_warning() -> None:
    result = one("exclude_company_industries", "Fintech", allow_unknown=True)
    assert result.values == ("Fintech",) and result.errors == ()
    (warning,) = result.warnings
    assert warning.startswith("'Fintech' is not a LinkedIn industry; sent anyway")
    assert warning.endswith("did you mean 'Financial Services'?")
    # Case is still fixed when the name is known.
    fixed = one("company_industries", "banking", allow_unknown=True)
    assert fixed.values == ("Banking",) and fixed.warnings == ()


def test_every_hint_target_exists() -> None:
    for source, targets in hints.INDUSTRY_HINTS.items():
        assert source not in INDUSTRIES, f"{source!r} is already an industry"
        for target in targets:
            assert target in INDUSTRIES, f"{source!r} → {target!r}"
    for source, function_targets in hints.FUNCTION_HINTS.items():
        assert set(function_targets) <= set(VOCAB["functions"]), source
    assert set(hints.COMPANY_TYPE_ALIASES.values()) <= set(VOCAB["company_types"])
    for label, codes in hints.SENIORITY_ALIASES.items():
        assert set(codes) <= set(CODES), label


def test_vocabulary_keys_are_unambiguous() -> None:
    """Canonicalising ignores case and punctuation; no two industries may collide."""
    folded = {
        "".join(ch for ch in n.casefold().replace("&", "and") if ch.isalnum()) for n in INDUSTRIES
    }
    assert len(folded) == len(INDUSTRIES)


# --- company types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("privately held", "Privately Held"),
        ("Non-profit", "Non Profit"),
        ("Nonprofit", "Non Profit"),
        ("Public", "Public Company"),
        ("Private", "Privately Held"),
        ("Government", "Government Agency"),
        ("Self-employed", "Self Employed"),
        ("self owned", "Self Owned"),
    ],
)
def test_company_types(text: str, canonical: str) -> None:
    result = one("company_types", text)
    assert result.values == (canonical,)
    assert result.notes == (f"'{text}' → '{canonical}'",)


def test_unknown_company_type() -> None:
    (error,) = one("company_types", "Priv held").errors
    assert error.startswith("'Priv held' is not a company type; did you mean 'Privately Held'?")
    assert "(types: " in error
    allowed = one("company_types", "Startup", allow_unknown=True)
    assert len(allowed.errors) == 1 and allowed.warnings == ()  # the API 400s on it anyway


# --- seniorities ------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_seniority_codes_pass_silently(code: str) -> None:
    assert one("seniorities", code) == ValueCheck((code,), (), (), ())


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("C Suite", ("c_suite",)),
        ("c-suite", ("c_suite",)),
        ("C_SUITE", ("c_suite",)),
        ("CXO", ("c_suite",)),
        ("C-level", ("c_suite",)),
        ("Chief", ("c_suite",)),
        ("Executive", ("c_suite",)),
        ("Vice President", ("vp",)),
        ("VP", ("vp",)),
        ("Owner / Partner", ("owner", "partner")),
        ("Owner", ("owner",)),
        ("Entry Level", ("entry",)),
        ("Entry", ("entry",)),
        ("Junior", ("entry",)),
        ("In Training", ("intern",)),
        ("Trainee", ("intern",)),
        ("Intern", ("intern",)),
        ("Internship", ("intern",)),
        ("Director", ("director",)),
        ("Head", ("head",)),
        ("Manager", ("manager",)),
        ("Entry Level Manager", ("manager",)),
        ("Experienced Manager", ("manager",)),
        ("Senior", ("senior",)),
        ("Founder", ("founder",)),
        ("Co-founder", ("founder",)),
    ],
)
def test_seniority_labels_map_to_codes(text: str, codes: tuple[str, ...]) -> None:
    result = one("seniorities", text)
    assert result.values == codes
    if text.casefold() == codes[0]:
        assert result.notes == ()  # a code in capitals is the code: no note to read
    else:
        assert len(result.notes) == 1 and result.notes[0].startswith(f"'{text}' → '{codes[0]}'")
    assert result.warnings == () and result.errors == ()


def test_every_sales_navigator_label_is_handled() -> None:
    for label in VOCAB["seniorities"]:
        result = one("seniorities", label)
        assert result.errors == ()
        assert set(result.values) <= set(CODES) or label.casefold() in hints.SENIORITY_NO_CODE


def test_unknown_seniorities_are_warnings_never_errors() -> None:
    strategic = one("seniorities", "Strategic")
    assert strategic.values == ("Strategic",) and strategic.errors == ()
    assert "no documented seniority code" in strategic.warnings[0]
    principal = one("seniorities", "Principal")
    assert principal.values == ("Principal",) and principal.errors == ()
    assert principal.warnings == (
        "'Principal' is not a documented seniority code; sent as is, but the API matches "
        f"seniorities loosely and may count 0 (documented codes: {', '.join(CODES)})",
    )
    assert "did you mean 'director'?" in one("seniorities", "Directr").warnings[0]


# --- functions, filter_empty_vars, locations -------------------------------------------------


def test_functions() -> None:
    assert one("functions", "Sales") == ValueCheck(("Sales",), (), (), ())
    assert one("exclude_functions", "arts & design").values == ("Arts and Design",)
    assert one("functions", "sales").notes == ("'sales' → 'Sales'",)
    hr = one("functions", "HR")
    assert hr.values == ("HR",) and hr.errors == ()
    assert "did you mean 'Human Resources'?" in hr.warnings[0]
    success = one("functions", "Customer Success")
    assert "'Customer Success and Support'" in success.warnings[0]
    assert "known functions: Accounting" in one("functions", "Xyz").warnings[0]


def test_filter_empty_vars() -> None:
    assert one("filter_empty_vars", "Profile Photo").values == ("profile_photo",)
    assert one("filter_empty_vars", "COMPANY_WEBSITE").values == ("company_website",)
    (error,) = one("filter_empty_vars", "photo").errors
    assert "did you mean 'profile_photo'?" in error and "job_started_on" in error


def test_location_abbreviations_warn() -> None:
    result = one("locations", "San Francisco, CA")
    assert result.values == ("San Francisco, CA",) and result.errors == ()
    assert result.warnings == (
        "'San Francisco, CA' may not be a listed location (the API rejects abbreviations); "
        "try 'San Francisco Bay Area' or 'United States'",
    )
    assert "'Austin, Texas, United States'" in one("company_locations", "Austin, TX").warnings[0]
    usa = one("locations", "USA")
    assert usa.values == ("United States",) and usa.notes == ("'USA' → 'United States'",)
    assert one("locations", "u.k.").values == ("United Kingdom",)
    for fine in ("United States", "Paris, France", "Paris, FR", "Austin, Texas"):
        assert one("locations", fine) == ValueCheck((fine,), (), (), ())


# --- suggest ----------------------------------------------------------------------------


def test_suggest_ranking() -> None:
    names = sorted(INDUSTRIES)
    assert suggest("banking", names)[0] == "Banking"
    assert suggest("Software", names)[0] == "Software Development"  # fewest extra words first
    assert suggest("Software Developmen", names) == ["Software Development"]
    assert suggest("Investment Banking firm", names)[:2] == ["Investment Banking", "Banking"]
    assert len(suggest("Retail", names, limit=5)) == 5
    assert suggest("Retail", names, limit=1) == ["Retail"]
    assert suggest("", names) == []
    assert suggest("zzzzqqq", names) == []
    assert suggest("Sofware", ["Software Development", "Hardware"]) == ["Software Development"]


@pytest.mark.parametrize(
    ("text", "bucket"),
    [("51-200 employees", "51-200"), ("1-10 staff", "1-10"), ("10,001+ employees", "10 000+")],
)
def test_headcount_with_a_unit_word(text: str, bucket: str) -> None:
    result = one("company_headcounts", text)
    assert result.values == (bucket,) and result.errors == ()
    assert result.notes == (f"'{text}' → '{bucket}'",) or bucket in result.notes[0]


@pytest.mark.parametrize(
    ("text", "code"), [("Exec", "c_suite"), ("VPs", "vp"), ("Mid-Senior level", "senior")]
)
def test_more_seniority_labels(text: str, code: str) -> None:
    result = one("seniorities", text)
    assert result.values == (code,) and result.warnings == () and len(result.notes) == 1
