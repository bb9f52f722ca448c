"""``aggFilters`` and ``filter.synonyms``: the registry's search-page filters, as filters on trials.

``aggFilters`` is ``filter_id:option option,filter_id:option``: the options
the registry's search page lets one tick (``status:com rec``, ``phase:2 3``,
``results:with``). Each option is declared once below as an Essie expression
on our pieces, so it matches exactly what ``filter.advanced`` would; options
of one filter are alternatives, filters all apply.

``filter.synonyms`` is ``Area:synonym_id`` pairs: of the synonyms a search
widened a text by, the ones to keep. Our synonyms are MeSH descriptors
(``search.vocabulary``), so a synonym id here is a descriptor's UI
(``ConditionSearch:D007172``); it keeps the trials that area finds by the
descriptor's name, or that are filed under the descriptor. The registry's
own synonym ids are numbers from a thesaurus it does not publish: they are
refused, saying so.
"""

from __future__ import annotations

import functools
import operator
import re

from django.db.models import Q

from .. import search
from ..search.areas import SEARCH_AREAS
from ..search.expand import natural_name
from .advanced import AdvancedError, advanced_q

# filter id → option key → the Essie expression it stands for.
AGG_FILTERS: dict[str, dict[str, str]] = {
    "status": {
        "not": "AREA[OverallStatus]NOT_YET_RECRUITING",
        "rec": "AREA[OverallStatus]RECRUITING",
        "enr": "AREA[OverallStatus]ENROLLING_BY_INVITATION",
        "act": "AREA[OverallStatus]ACTIVE_NOT_RECRUITING",
        "sus": "AREA[OverallStatus]SUSPENDED",
        "ter": "AREA[OverallStatus]TERMINATED",
        "com": "AREA[OverallStatus]COMPLETED",
        "wit": "AREA[OverallStatus]WITHDRAWN",
        "unk": "AREA[OverallStatus]UNKNOWN",
        "av": "AREA[OverallStatus]AVAILABLE",
        "nla": "AREA[OverallStatus]NO_LONGER_AVAILABLE",
        "tna": "AREA[OverallStatus]TEMPORARILY_NOT_AVAILABLE",
        "afm": "AREA[OverallStatus]APPROVED_FOR_MARKETING",
    },
    "phase": {
        "0": "AREA[Phase]EARLY_PHASE1",
        "1": "AREA[Phase]PHASE1",
        "2": "AREA[Phase]PHASE2",
        "3": "AREA[Phase]PHASE3",
        "4": "AREA[Phase]PHASE4",
        "na": "AREA[Phase]NA",
    },
    "studyType": {
        "int": "AREA[StudyType]INTERVENTIONAL",
        "obs": "AREA[StudyType]OBSERVATIONAL",
        "exp": "AREA[StudyType]EXPANDED_ACCESS",
    },
    "results": {"with": "AREA[HasResults]true", "without": "NOT AREA[HasResults]true"},
    # A trial for all sexes takes women and men.
    "sex": {"f": "AREA[Sex]FEMALE OR AREA[Sex]ALL", "m": "AREA[Sex]MALE OR AREA[Sex]ALL", "all": "AREA[Sex]ALL"},
    "ages": {"child": "AREA[StdAge]CHILD", "adult": "AREA[StdAge]ADULT", "older": "AREA[StdAge]OLDER_ADULT"},
    "healthy": {"y": "AREA[HealthyVolunteers]true"},
    "docs": {
        "prot": "AREA[LargeDocHasProtocol]true",
        "sap": "AREA[LargeDocHasSap]true",
        "icf": "AREA[LargeDocHasIcf]true",
    },
    "funderType": {
        "nih": "AREA[LeadSponsorClass]NIH OR AREA[CollaboratorClass]NIH",
        "fed": "AREA[LeadSponsorClass]FED OR AREA[CollaboratorClass]FED",
        "indust": "AREA[LeadSponsorClass]INDUSTRY OR AREA[CollaboratorClass]INDUSTRY",
        "other": "NOT (AREA[LeadSponsorClass]NIH OR AREA[LeadSponsorClass]FED OR AREA[LeadSponsorClass]INDUSTRY)",
    },
    "violation": {"y": "AREA[Fdaaa801Violation]true"},
}
MAX_AGG_LENGTH = 500
_AREA_NAMES = {area.name.lower(): area for area in SEARCH_AREAS}
_DESCRIPTOR = re.compile(r"^D\d{6,9}$")


class FilterError(ValueError):
    pass


def _pairs(value: str) -> list[tuple[str, str]]:
    pairs = []
    for raw in re.split(r"[|,]", value):
        if not raw.strip():
            continue
        name, colon, options = raw.partition(":")
        if not colon or not name.strip() or not options.strip():
            raise FilterError(f"expected filter_id:options, not {raw.strip()!r}")
        pairs.append((name.strip(), options.strip()))
    return pairs


def agg_filters_q(value: str, tokens: bool = False) -> Q:
    """``aggFilters`` as a ``Q``; ``FilterError`` names an unknown filter or option."""
    if len(value) > MAX_AGG_LENGTH:
        raise FilterError(f"longer than {MAX_AGG_LENGTH} characters")
    combined = Q()
    for name, options in _pairs(value):
        known = AGG_FILTERS.get(name)
        if known is None:
            raise FilterError(f"unknown filter {name!r}; filters: {', '.join(AGG_FILTERS)}")
        keys = options.split()
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise FilterError(f"unknown option {', '.join(unknown)} of {name}; options: {', '.join(known)}")
        try:
            combined &= functools.reduce(operator.or_, (advanced_q(known[key], tokens) for key in keys))
        except AdvancedError as error:  # a declaration above that the pieces no longer take
            raise FilterError(f"{name}:{options}: {error}") from None
    return combined


def synonyms_q(value: str, tokens: bool = False) -> Q:
    """``filter.synonyms`` as a ``Q``: each pair keeps what its area finds by the descriptor."""
    combined = Q()
    names = search.vocabulary.mesh_names()
    for area_name, synonym in _pairs(value):
        area = _AREA_NAMES.get(area_name.lower())
        if area is None:
            raise FilterError(f"unknown area {area_name!r}; areas: {', '.join(a.name for a in SEARCH_AREAS)}")
        if not _DESCRIPTOR.match(synonym):
            raise FilterError(
                f"synonym {synonym!r} of {area.name} is not a MeSH descriptor UI (e.g. D007172); "
                "the registry's numeric synonym ids come from its own thesaurus, which is not published"
            )
        if synonym not in names:
            raise FilterError(f"no MeSH descriptor {synonym} is known here")
        by_name = area.q(natural_name(names[synonym]), tokens)
        combined &= by_name | search.descriptor_q(synonym, tokens)
    return combined
