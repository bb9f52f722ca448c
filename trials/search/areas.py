"""Term matching by area: the API's ``query.term``, ``query.cond``, ``query.intr``, ...

Each area is declared once (``SEARCH_AREAS``): its parameter, the registry's
area name and its parts, the pieces each part searches, with their weight.
The same declaration turns one term into a ``Q`` over the trial and its
children (``AREAS``) and is what ``/studies/search-areas`` describes;
``match`` combines a query's terms and alternatives with them.
The simple backend's search is the ``term`` area; on PostgreSQL the API's
``term`` goes to full-text search instead (``search.widened_area_q``).

``tokens`` says whether the trials carry facet tokens (PostgreSQL): a
condition is then matched on its tokens rather than through a join.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Exists, Model, OuterRef, Q, QuerySet

from .. import facets
from ..models import Condition, Identifier, Intervention, OutcomeMeasure, Site, Sponsor, Trial, TrialCondition
from .index import MAX_TOKENS
from .query import nct_id_from_token, parse_query
from .vocabulary import lookup
from .words import is_stop_word, lookup_q, word_q


def _any(alternatives: Iterable[Q]) -> Q:
    return functools.reduce(operator.or_, alternatives)


def _exists(model, **lookup) -> Exists:
    return Exists(model.objects.filter(trial=OuterRef("pk"), **lookup))


def condition_area(term: str, tokens: bool = False) -> Q:
    # Through the small table of condition names (and its trigram index),
    # then the trials' facet tokens where there are some.
    matching = Condition.objects.filter(word_q("name", term))
    if tokens:
        ids = list(matching.values_list("id", flat=True)[: MAX_TOKENS + 1])
        if len(ids) <= MAX_TOKENS:
            return Q(facet_tokens__any=facets.tokens(facets.CONDITION, ids)) if ids else Q(pk__in=[])
    return Q(_exists(TrialCondition, condition__in=matching))


@dataclass(frozen=True)
class Part:
    """Registry pieces an area searches, and the lookups on our tables that search them.

    ``lookups`` are ``field__lookup`` names on ``model`` (the trial when it is
    the trial, else a child table, matched through ``Exists``), each taking
    the term (``icontains`` matches it as a word: ``words.lookup_q``);
    ``where`` narrows the child rows (the lead sponsor among the sponsors);
    ``weight`` is how much a match here counts towards relevance.
    """

    pieces: tuple[str, ...]
    lookups: tuple[str, ...]
    model: type[Model] = Trial
    where: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0

    def q(self, term: str) -> Q:
        if self.model is Trial:
            return _any(lookup_q(lookup, term) for lookup in self.lookups)
        # One EXISTS over all the lookups, not one each: PostgreSQL turns a lone EXISTS into a
        # semi-join that can start from the child table's indexes, while EXISTS OR EXISTS runs
        # a subquery per trial (2 s for a rare intervention at 600,000 trials).
        matching = _any(lookup_q(lookup, term) for lookup in self.lookups)
        return Q(Exists(self.model.objects.filter(matching, trial=OuterRef("pk"), **self.where)))

    def describe(self, synonyms: bool = False) -> dict[str, Any]:
        """The part as the registry's ``SearchPart``; ``synonyms``: its area's terms are widened by synonyms."""
        return {
            "isEnum": False,
            "isSynonyms": synonyms,
            "pieces": list(self.pieces),
            "type": "text",
            "weight": self.weight,
        }


@dataclass(frozen=True)
class Area:
    """One ``query.*`` parameter: the registry's ``SearchArea``, and how its term is matched.

    ``build`` is set where matching needs more than the parts' lookups (the
    conditions' index and facet tokens, an NCT ID's canonical spelling); the
    parts then say what it searches.
    """

    key: str
    name: str
    ui_label: str
    parts: tuple[Part, ...]
    build: Callable[[str, bool], Q] | None = None

    @property
    def param(self) -> str:
        return f"query.{self.key}"

    def q(self, term: str, tokens: bool = False) -> Q:
        if self.build is not None:
            return self.build(term, tokens)
        return _any(part.q(term) for part in self.parts)

    def describe(self, synonyms: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "param": self.param,
            "parts": [part.describe(synonyms) for part in self.parts],
            "uiLabel": self.ui_label,
        }


TITLES = Part(
    ("BriefTitle", "OfficialTitle", "Acronym"),
    ("brief_title__icontains", "official_title__icontains", "acronym__icontains"),
)
SUMMARY = Part(("BriefSummary",), ("brief_summary__icontains",))
DESCRIPTION = Part(("DetailedDescription",), ("detailed_description__icontains",))
CONDITIONS = Part(("Condition",), ("condition__name__icontains",), TrialCondition)
KEYWORDS = Part(("Keyword",), ("keywords__icontains",))
INTERVENTIONS = Part(
    ("InterventionName", "InterventionOtherName", "InterventionDescription"),
    ("name__icontains", "other_names__icontains", "description__icontains"),
    Intervention,
)
SPONSORS = Part(("LeadSponsorName", "CollaboratorName"), ("name__icontains",), Sponsor)
LEAD_SPONSOR = Part(("LeadSponsorName",), ("name__icontains",), Sponsor, {"is_lead": True})
LOCATIONS = Part(
    ("LocationCity", "LocationState", "LocationCountry", "LocationFacility", "LocationZip"),
    ("city__icontains", "state__icontains", "country__icontains", "facility__icontains", "zip__iexact"),
    Site,
)
OTHER_IDS = Part(("OrgStudyId", "SecondaryId"), ("identifier__iexact",), Identifier)
OUTCOMES = Part(
    (
        "PrimaryOutcomeMeasure",
        "PrimaryOutcomeDescription",
        "SecondaryOutcomeMeasure",
        "SecondaryOutcomeDescription",
        "OtherOutcomeMeasure",
        "OtherOutcomeDescription",
    ),
    ("measure__icontains", "description__icontains"),
    OutcomeMeasure,
)
ELIGIBILITY = Part(("EligibilityCriteria",), ("eligibility_criteria__icontains",))


def _nct_id_or(parts: tuple[Part, ...]) -> Callable[[str, bool], Q]:
    # An NCT ID in any spelling finds its trial and nothing else.
    def build(term: str, tokens: bool = False) -> Q:
        canonical = nct_id_from_token(term)
        if canonical:
            return Q(nct_id=canonical)
        # The conditions through their index and tokens, as ``query.cond`` matches them.
        return _any(
            condition_area(term, tokens) if part.pieces == CONDITIONS.pieces else part.q(term) for part in parts
        )

    return build


# ``query.term`` is ranked on PostgreSQL by its full-text vector's weights
# (ts_rank's 1.0, 0.4, 0.2, 0.1 for A to D, see ``index.search_documents``);
# the other areas are matched, not ranked, so every part weighs the same.
# The same texts as that vector, so both databases find the same trials: the keywords, the
# interventions' names (on their rows, and the other names the arms give), not their descriptions.
INTERVENTION_NAMES = Part(
    ("InterventionName", "InterventionOtherName"), ("name__icontains", "other_names__icontains"), Intervention
)
ARM_INTERVENTION_NAMES = Part(("InterventionOtherName",), ("other_intervention_names__icontains",))
_BASIC_PARTS = (
    replace(TITLES, weight=1.0),
    replace(OTHER_IDS, weight=1.0),
    replace(CONDITIONS, weight=0.4),
    replace(KEYWORDS, weight=0.4),
    replace(INTERVENTION_NAMES, weight=0.4),
    replace(ARM_INTERVENTION_NAMES, weight=0.4),
    replace(SUMMARY, weight=0.2),
    replace(SPONSORS, weight=0.2),
    replace(DESCRIPTION, weight=0.1),
)
_ID_PARTS = (Part(("NCTId",), ("nct_id__iexact",)), OTHER_IDS)
# What someone looking for a trial to join would type: the illness, the
# treatment, the place, the words of the title, summary and criteria.
_PATIENT_PARTS = (TITLES, CONDITIONS, KEYWORDS, INTERVENTIONS, SUMMARY, LOCATIONS, ELIGIBILITY)

SEARCH_AREAS: tuple[Area, ...] = (
    Area("term", "BasicSearch", "Other terms", _BASIC_PARTS, _nct_id_or(_BASIC_PARTS)),
    Area("cond", "ConditionSearch", "Condition or disease", (CONDITIONS,), condition_area),
    Area("intr", "InterventionSearch", "Intervention / treatment", (INTERVENTIONS,)),
    Area("locn", "LocationSearch", "Location terms", (LOCATIONS,)),
    Area("spons", "SponsorSearch", "Sponsor / collaborator", (SPONSORS,)),
    Area("titles", "TitleSearch", "Title / acronym", (TITLES,)),
    Area("outc", "OutcomeSearch", "Outcome measure", (OUTCOMES,)),
    Area("lead", "LeadSponsorName", "Lead sponsor", (LEAD_SPONSOR,)),
    Area("id", "IdSearch", "Study IDs", _ID_PARTS),
    Area("patient", "PatientSearch", "Patient terms", _PATIENT_PARTS),
)

AREAS: dict[str, Callable[[str, bool], Q]] = {area.key: area.q for area in SEARCH_AREAS}


def search_documents_list(widened: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The registry's ``SearchDocumentList``: our one document, the study, and its areas.

    ``widened``: the keys of the areas whose terms are widened by synonyms
    (descriptors' entry terms, other names, countries' names), whose parts
    are then ``isSynonyms``.
    """
    return [{"name": "Study", "areas": [area.describe(area.key in widened) for area in SEARCH_AREAS]}]


def match(queryset: QuerySet, text: str, area: str = "term", strict: bool = True, *, tokens: bool = False) -> QuerySet:
    """Trials of ``queryset`` matching ``text`` in ``area`` (see ``AREAS``)."""
    return queryset.filter(match_q(text, area, strict, tokens=tokens))


def match_q(text: str, area: str = "term", strict: bool = True, *, tokens: bool = False) -> Q:
    """What ``match`` asks of a trial, as a ``Q`` (everything for a text without terms)."""
    alternatives = parse_query(text, strict)
    if not alternatives:
        return Q()
    builder = AREAS[area]
    combined = Q()
    for terms in alternatives:
        group = Q()
        for term, negated in terms:
            if area == "term" and is_stop_word(term):
                # As PostgreSQL's full-text search reads the text box: "bowel cancer in" asks for two words.
                continue
            group &= ~builder(term, tokens) if negated else builder(term, tokens)
        combined |= group
    return combined


def count_condition_area(text: str) -> int | None:
    """How many trials ``match(..., text, "cond")`` finds, counted from the conditions' index.

    Only for one plain term (None otherwise): the trials of the conditions
    named like it, read from the (condition, trial) index without the trials.
    Not for a term the search widens (one naming a descriptor) or corrects
    (one no condition is named like): None then too.
    """
    alternatives = parse_query(text)
    if len(alternatives) != 1 or len(alternatives[0]) != 1 or alternatives[0][0][1]:
        return None
    term = alternatives[0][0][0]
    if lookup(term) is not None:
        return None
    matching = Condition.objects.filter(word_q("name", term))
    # count(DISTINCT ...) sorts the trial ids it reads; a DISTINCT subquery hashed them, three times slower.
    trials = TrialCondition.objects.filter(condition__in=matching).aggregate(trials=Count("trial", distinct=True))[
        "trials"
    ]
    return trials or None
