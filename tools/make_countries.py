"""Write schemas/countries.json: ISO 3166-1 countries with the names people type for them.

    pip install pycountry && python tools/make_countries.py

Used by batchcount.plan.commas to tell "Sweden, Norway, Denmark" (three countries typed with
commas in a ';' column, sent as ONE place) from one place written with commas ("San Francisco,
California, United States", "Puerto Rico, United States"). Each entry: the ISO short name, the
common and official names pycountry knows, hand-picked everyday forms, and for a dependent
territory the country it belongs to (so "Greenland, Denmark" stays one place).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pycountry

OUT = Path(__file__).resolve().parent.parent / "schemas" / "countries.json"

# Everyday forms beyond ISO's names (ISO short names with commas never match a comma part).
ALSO: dict[str, list[str]] = {
    "US": ["USA", "US", "U.S.", "U.S.A.", "United States of America", "America"],
    "GB": ["UK", "U.K.", "Great Britain", "Britain"],
    "AE": ["UAE", "U.A.E.", "Emirates"],
    "KR": ["Republic of Korea", "S. Korea"],
    "KP": ["N. Korea"],
    "RU": ["Russia"],
    "CZ": ["Czech Republic"],
    "TR": ["Turkey", "Turkiye"],
    "CI": ["Ivory Coast", "Cote d'Ivoire"],
    "CD": ["DR Congo", "DRC", "Democratic Republic of the Congo", "Congo-Kinshasa"],
    "CG": ["Republic of the Congo", "Congo-Brazzaville"],
    "MK": ["Macedonia"],
    "VA": ["Vatican", "Vatican City", "Holy See"],
    "PS": ["Palestine"],
    "FM": ["Micronesia"],
    "BN": ["Brunei"],
    "CV": ["Cape Verde"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor"],
    "MM": ["Burma"],
    "MO": ["Macau"],
    "NL": ["The Netherlands", "Holland"],
    "BS": ["The Bahamas"],
    "GM": ["The Gambia"],
    "PH": ["The Philippines"],
    "LC": ["St Lucia", "St. Lucia"],
    "KN": ["St Kitts and Nevis", "St. Kitts and Nevis", "Saint Kitts"],
    "VC": ["St Vincent and the Grenadines", "Saint Vincent"],
    "SH": ["Saint Helena", "St Helena"],
    "FK": ["Falkland Islands", "Falklands"],
    "VG": ["British Virgin Islands"],
    "VI": ["US Virgin Islands", "U.S. Virgin Islands"],
    "BQ": ["Caribbean Netherlands", "Bonaire"],
    "SX": ["Sint Maarten"],
    "MF": ["Saint Martin", "St Martin"],
    "BL": ["Saint Barthelemy", "St Barts"],
    "PM": ["Saint Pierre and Miquelon"],
    "WF": ["Wallis and Futuna"],
    "VN": ["Viet Nam"],
    "LA": ["Laos"],
    "SY": ["Syria"],
    "IR": ["Iran"],
    "TW": ["Taiwan"],
    "BO": ["Bolivia"],
    "VE": ["Venezuela"],
    "TZ": ["Tanzania"],
    "MD": ["Moldova"],
}

# Dependent territories -> the country they belong to ("Guam, United States" is one place).
SOVEREIGN: dict[str, str] = {
    **dict.fromkeys(["AS", "GU", "MP", "PR", "VI", "UM"], "US"),
    **dict.fromkeys(
        ["AI", "BM", "IO", "VG", "KY", "FK", "GI", "GG", "IM", "JE", "MS", "PN", "SH", "GS", "TC"],
        "GB",
    ),
    **dict.fromkeys(["GF", "PF", "TF", "GP", "MQ", "YT", "NC", "RE", "BL", "MF", "PM", "WF"], "FR"),
    **dict.fromkeys(["AW", "CW", "SX", "BQ"], "NL"),
    **dict.fromkeys(["FO", "GL"], "DK"),
    **dict.fromkeys(["SJ", "BV"], "NO"),
    "AX": "FI",
    **dict.fromkeys(["CX", "CC", "HM", "NF"], "AU"),
    **dict.fromkeys(["CK", "NU", "TK"], "NZ"),
    **dict.fromkeys(["HK", "MO"], "CN"),
}


def main() -> None:
    countries: list[dict[str, Any]] = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        names = [country.name]
        for attr in ("common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and value not in names:
                names.append(value)
        names += [n for n in ALSO.get(country.alpha_2, []) if n not in names]
        countries.append(
            {
                "code": country.alpha_2,
                "names": names,
                "part_of": SOVEREIGN.get(country.alpha_2),
            }
        )
    data = {
        "source": (
            f"ISO 3166-1 via pycountry {pycountry.__version__} plus everyday forms; "
            "made by tools/make_countries.py"
        ),
        "countries": countries,
    }
    lines = [json.dumps(c, ensure_ascii=False) for c in countries]  # one country a line
    text = f'{{\n "source": {json.dumps(data["source"])},\n "countries": [\n  '
    text += ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)  # still JSON
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(countries)} countries)")


if __name__ == "__main__":
    main()
