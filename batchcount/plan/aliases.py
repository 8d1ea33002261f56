"""Header names: the aliases analysts use, normalising a header, and guessing the field it
names (for mapping) or resembles (for a did-you-mean)."""

from __future__ import annotations

import difflib
import re
from functools import cache

from batchcount.plan.fields import field_names
from batchcount.plan.headers import decorated_field

__all__ = [
    "ALIASES",
    "AMBIGUOUS",
    "guess_field",
    "normalise_header",
    "similar_field",
    "suggested_fields",
]

# Normalised header -> field. Normalised = lower case, no spaces, '-', '_' or punctuation.
# Kept conservative: a wrong guess changes what is counted, so ambiguous words ("Company",
# "Type", "Size") are not mapped; they get a did-you-mean instead.
ALIASES: dict[str, str] = {
    # job_titles
    "title": "job_titles",
    "titles": "job_titles",
    "jobtitle": "job_titles",
    "position": "job_titles",
    "positions": "job_titles",
    "role": "job_titles",
    "roles": "job_titles",
    # seniorities
    "seniority": "seniorities",
    "senioritylevel": "seniorities",
    "level": "seniorities",
    "levels": "seniorities",
    # locations (where the lead lives)
    "location": "locations",
    "geo": "locations",
    "geos": "locations",
    "geography": "locations",
    "country": "locations",
    "countries": "locations",
    "region": "locations",
    "regions": "locations",
    "leadlocation": "locations",
    "leadlocations": "locations",
    "excludelocation": "exclude_locations",
    "excludedlocations": "exclude_locations",
    # company_locations (employer HQ)
    "companyhq": "company_locations",
    "hq": "company_locations",
    "hqlocation": "company_locations",
    "hqcountry": "company_locations",
    "headquarters": "company_locations",
    "companylocation": "company_locations",
    "companycountry": "company_locations",
    "excludecompanylocation": "exclude_company_locations",
    "excludehq": "exclude_company_locations",
    # industries
    "industry": "company_industries",
    "industries": "company_industries",
    "companyindustry": "company_industries",
    "vertical": "company_industries",
    "verticals": "company_industries",
    "excludeindustry": "exclude_company_industries",
    "excludeindustries": "exclude_company_industries",
    "excludedindustries": "exclude_company_industries",
    "excludecompanyindustry": "exclude_company_industries",
    "leadindustry": "lead_industries",
    # headcounts
    "companysize": "company_headcounts",
    "companysizes": "company_headcounts",
    "headcount": "company_headcounts",
    "headcounts": "company_headcounts",
    "companyheadcount": "company_headcounts",
    "employees": "company_headcounts",
    "employeecount": "company_headcounts",
    "employeerange": "company_headcounts",
    "numberofemployees": "company_headcounts",
    "sizerange": "company_headcounts",
    "excludecompanysize": "exclude_company_headcounts",
    "excludeheadcount": "exclude_company_headcounts",
    "excludecompanyheadcount": "exclude_company_headcounts",
    # company types
    "companytype": "company_types",
    "organizationtype": "company_types",
    "organisationtype": "company_types",
    "ownership": "company_types",
    # functions
    "function": "functions",
    "jobfunction": "functions",
    "jobfunctions": "functions",
    "department": "functions",
    "departments": "functions",
    "excludefunction": "exclude_functions",
    "excludedepartment": "exclude_functions",
    # keywords
    "keyword": "keywords",
    # company anchors
    "companyname": "company_name",
    "accountname": "company_name",
    "companylinkedin": "company_link",
    "companylinkedinurl": "company_link",
    "companyurl": "company_link",
    "linkedincompanyurl": "company_link",
    "companylinkedinid": "company_id",
    "linkedincompanyid": "company_id",
    # the rest
    "pastcompany": "past_company_names",
    "pastcompanies": "past_company_names",
    "formercompany": "past_company_names",
    "pasttitle": "past_job_titles",
    "pastjobtitle": "past_job_titles",
    "school": "schools",
    "group": "groups",
    "firstnames": "first_name",
    "lastnames": "last_name",
    "experience": "years_of_experience",
    "yearsexperience": "years_of_experience",
    "connections": "num_of_connections",
}

_NORMALISE_RE = re.compile(r"[\s\-_./()#:]+")


def normalise_header(header: str) -> str:
    return _NORMALISE_RE.sub("", header.replace("\u00a0", " ")).lower()


@cache
def _field_index() -> dict[str, str]:
    index = dict(ALIASES)
    for name in field_names():
        index[normalise_header(name)] = name
    return index


def _plain_field(header: str) -> str | None:
    key = normalise_header(header)
    return _field_index().get(key) if key else None


def guess_field(header: str) -> str | None:
    """The field a header names by its normalised spelling or an alias, also once a harmless
    decoration is removed ("Industry (LinkedIn)", "Seniority*"); else None."""
    return _plain_field(header) or decorated_field(header, _plain_field)[0]


# Words too ambiguous to map on their own; they only earn a did-you-mean.
AMBIGUOUS = {
    "company": "company_name",
    "account": "company_name",
    "size": "company_headcounts",
    "type": "company_types",
    "industrytype": "company_industries",
    "persona": "job_titles",  # text personas are titles; the personas field takes JSON
}


def suggested_fields(header: str) -> list[str]:
    """Fields to suggest (did-you-mean) for a header that is not mapped."""
    found = decorated_field(header, _plain_field)[1]
    similar = similar_field(header) or similar_field(_undecorated(header))
    return list(dict.fromkeys([*found, *([similar] if similar else [])]))


def _undecorated(header: str) -> str:
    return re.sub(r"\([^)]*\)|[*:]+", " ", header)


def similar_field(header: str) -> str | None:
    """A field the header looks like a misspelling of (for did-you-mean), else None."""
    key = normalise_header(header)
    if key in AMBIGUOUS:
        return AMBIGUOUS[key]
    if len(key) < 4:
        return None
    index = _field_index()
    close = difflib.get_close_matches(key, list(index), n=1, cutoff=0.8)
    return index[close[0]] if close else None
