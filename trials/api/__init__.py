"""``/api/v2/``: ClinicalTrials.gov's API v2, for the studies on file here.

``params.py`` (the parameters, what each accepts and the API version),
``views.py`` (the endpoints), ``openapi/`` (the OpenAPI document: its
parameters, paths and schemas), ``urls.py``; ``fhir.py`` and ``ris.py``
write one study as a FHIR ResearchStudy and as a RIS record. The views
and the document both read ``params``, and neither imports the other. The
studies themselves are written by ``trials.exports``, which the list page's
downloads and ``export_trials`` share; ``documents.py`` keeps each study's
JSON in the shared cache by the trial's version, and pages of studies are
joined from them.
"""
