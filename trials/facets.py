"""The facet-token grammar: what a trial's ``facet_tokens`` hold, declared once.

A token is a prefix, a colon and a value: ``s:RECRUITING`` is a status. The
database stores and matches them in upper case (``upper()`` in the SQL
function and in ``fields.AnyToken``), so Python leaves the case alone: its
``str.upper`` and PostgreSQL's differ on a few letters. The
filters, the API and the search areas build the tokens they look for here;
``trials_facet_tokens`` (migrations 0012 and 0024) writes them with the same prefixes,
and ``test_facets`` holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable

STATUS = "s"
PHASE = "p"
STUDY_TYPE = "t"
ALLOCATION = "a"
LEAD_SPONSOR_CLASS = "k"
SEX = "x"  # eligible sex: a trial for all sexes has both
HEALTHY_VOLUNTEERS = "h"  # YES or NO
HAS_RESULTS = "r"  # YES or NO
COUNTRY = "n"  # a site's country
CITY = "y"  # a site's city
PLACE = "m"  # a site's country and city: COUNTRY|CITY
CONDITION = "c"  # a condition's id
INTERVENTION_TYPE = "i"
# A MeSH descriptor the trial is filed under (assigned or an ancestor): a
# search phrase naming it matches by this token in the text's own GIN scan.
MESH = "d"

PREFIXES = frozenset(
    {
        STATUS,
        PHASE,
        STUDY_TYPE,
        ALLOCATION,
        LEAD_SPONSOR_CLASS,
        SEX,
        HEALTHY_VOLUNTEERS,
        HAS_RESULTS,
        COUNTRY,
        CITY,
        PLACE,
        CONDITION,
        INTERVENTION_TYPE,
        MESH,
    }
)


def token(prefix: str, value: object) -> str:
    return f"{prefix}:{value}"


def tokens(prefix: str, values: Iterable[object]) -> list[str]:
    return [token(prefix, value) for value in values]


def place(country: str, city: str) -> str:
    """A site's token for a country, a city, or both (the same site)."""
    if country and city:
        return token(PLACE, f"{country}|{city}")
    return token(COUNTRY, country) if country else token(CITY, city)
