"""Country names (as LinkedIn spells them, plus common alternatives).

Used to tell when an exploded locations axis lists distinct countries: a lead lives in one
country, so counts along such an axis cannot overlap and may be totalled. A region ("EMEA")
or a city ("Berlin") overlaps its country, so any value not listed here disables totals.
"""

from __future__ import annotations

from functools import cache

_NAMES = """
Afghanistan; Albania; Algeria; Andorra; Angola; Antigua and Barbuda; Argentina; Armenia;
Australia; Austria; Azerbaijan; Bahamas; Bahrain; Bangladesh; Barbados; Belarus; Belgium;
Belize; Benin; Bhutan; Bolivia; Bosnia and Herzegovina; Botswana; Brazil; Brunei; Bulgaria;
Burkina Faso; Burundi; Cabo Verde; Cape Verde; Cambodia; Cameroon; Canada;
Central African Republic; Chad; Chile; China; Colombia; Comoros; Congo;
Democratic Republic of the Congo; Costa Rica; Côte d'Ivoire; Ivory Coast; Croatia; Cuba;
Cyprus; Czechia; Czech Republic; Denmark; Djibouti; Dominica; Dominican Republic; Ecuador;
Egypt; El Salvador; Equatorial Guinea; Eritrea; Estonia; Eswatini; Ethiopia; Fiji; Finland;
France; Gabon; Gambia; Georgia; Germany; Ghana; Greece; Grenada; Guatemala; Guinea;
Guinea-Bissau; Guyana; Haiti; Honduras; Hong Kong; Hungary; Iceland; India; Indonesia; Iran;
Iraq; Ireland; Israel; Italy; Jamaica; Japan; Jordan; Kazakhstan; Kenya; Kiribati; Kosovo;
Kuwait; Kyrgyzstan; Laos; Latvia; Lebanon; Lesotho; Liberia; Libya; Liechtenstein; Lithuania;
Luxembourg; Macao; Madagascar; Malawi; Malaysia; Maldives; Mali; Malta; Marshall Islands;
Mauritania; Mauritius; Mexico; Micronesia; Moldova; Monaco; Mongolia; Montenegro; Morocco;
Mozambique; Myanmar; Namibia; Nauru; Nepal; Netherlands; New Zealand; Nicaragua; Niger;
Nigeria; North Korea; North Macedonia; Norway; Oman; Pakistan; Palau; Palestine; Panama;
Papua New Guinea; Paraguay; Peru; Philippines; Poland; Portugal; Puerto Rico; Qatar; Romania;
Russia; Russian Federation; Rwanda; Saint Kitts and Nevis; Saint Lucia;
Saint Vincent and the Grenadines; Samoa; San Marino; Sao Tome and Principe; Saudi Arabia;
Senegal; Serbia; Seychelles; Sierra Leone; Singapore; Slovakia; Slovenia; Solomon Islands;
Somalia; South Africa; South Korea; Korea; South Sudan; Spain; Sri Lanka; Sudan; Suriname;
Sweden; Switzerland; Syria; Taiwan; Tajikistan; Tanzania; Thailand; Timor-Leste; Togo; Tonga;
Trinidad and Tobago; Tunisia; Turkey; Türkiye; Turkmenistan; Tuvalu; Uganda; Ukraine;
United Arab Emirates; United Kingdom; United States; Uruguay; Uzbekistan; Vanuatu;
Vatican City; Venezuela; Vietnam; Yemen; Zambia; Zimbabwe
"""

# Two names for one country: the same key, so 'Czechia' and 'Czech Republic' overlap.
_SAME = {
    "cape verde": "cabo verde",
    "ivory coast": "côte d'ivoire",
    "czech republic": "czechia",
    "russian federation": "russia",
    "korea": "south korea",
    "türkiye": "turkey",
}


@cache
def _countries() -> frozenset[str]:
    return frozenset(" ".join(n.split()).casefold() for n in _NAMES.split(";") if n.strip())


def country_key(name: str) -> str | None:
    """A key per country ('czech republic' and 'Czechia' share one); None if not a country."""
    key = " ".join(name.split()).casefold()
    if key not in _countries():
        return None
    return _SAME.get(key, key)
