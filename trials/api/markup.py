"""``markupFormat``: the registry's markup fields as markdown (as stored) or in the classic PRS text form.

The registry writes its free-text fields as CommonMark, escaping what would
otherwise read as markup (``\\>= 18 years``, ``\\[sentinel\\]``); lists are
``*`` or ``1.`` lines, as PRS takes them. The legacy form is the text as PRS
holds it: the same lines without the escapes.
"""

from __future__ import annotations

import re
from typing import Any

# The registry's ``markup`` fields that we hold: the text fields its records escape as markdown.
MARKUP_PATHS: tuple[str, ...] = (
    "protocolSection.descriptionModule.briefSummary",
    "protocolSection.descriptionModule.detailedDescription",
    "protocolSection.eligibilityModule.eligibilityCriteria",
    "protocolSection.eligibilityModule.studyPopulation",
    "protocolSection.designModule.designInfo.interventionModelDescription",
    "protocolSection.designModule.designInfo.maskingInfo.maskingDescription",
    "protocolSection.armsInterventionsModule.armGroups[].description",
    "protocolSection.armsInterventionsModule.interventions[].description",
    "protocolSection.outcomesModule.primaryOutcomes[].description",
    "protocolSection.outcomesModule.secondaryOutcomes[].description",
    "protocolSection.outcomesModule.otherOutcomes[].description",
    "protocolSection.ipdSharingStatementModule.description",
    "protocolSection.ipdSharingStatementModule.timeFrame",
    "protocolSection.ipdSharingStatementModule.accessCriteria",
    "resultsSection.participantFlowModule.preAssignmentDetails",
    "resultsSection.participantFlowModule.groups[].description",
    "resultsSection.participantFlowModule.periods[].milestones[].achievements[].comment",
    "resultsSection.baselineCharacteristicsModule.populationDescription",
    "resultsSection.baselineCharacteristicsModule.groups[].description",
    "resultsSection.baselineCharacteristicsModule.measures[].description",
    "resultsSection.baselineCharacteristicsModule.measures[].populationDescription",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].description",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].populationDescription",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].groups[].description",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].groupDescription",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].pValueComment",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].statisticalComment",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].estimateComment",
    "resultsSection.outcomeMeasuresModule.outcomeMeasures[].analyses[].nonInferiorityComment",
    "resultsSection.adverseEventsModule.description",
    "resultsSection.adverseEventsModule.eventGroups[].description",
    "resultsSection.moreInfoModule.certainAgreement.otherDetails",
)

# CommonMark's backslash escapes: a backslash before ASCII punctuation.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def legacy_text(markdown: str) -> str:
    """A markup field's text as PRS holds it: the markdown's escapes undone, lines and lists kept."""
    return _ESCAPE.sub(r"\1", markdown)


def _convert(value: Any, keys: list[str]) -> Any:
    if isinstance(value, list):
        return [_convert(item, keys) for item in value]
    if not isinstance(value, dict):
        return value
    key, rest = keys[0], keys[1:]
    if key in value:
        value[key] = _convert(value[key], rest) if rest else _text(value[key])
    return value


def _text(value: Any) -> Any:
    return legacy_text(value) if isinstance(value, str) else value


def to_legacy(study: dict) -> dict:
    """The study (changed in place) with every markup field in the legacy form."""
    for path in MARKUP_PATHS:
        _convert(study, path.replace("[]", "").split("."))
    return study
