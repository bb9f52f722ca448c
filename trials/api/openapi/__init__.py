"""The OpenAPI 3.0.3 description of TrialPortal's ``/api/v2``: what this server supports.

Names, syntax and shapes are ClinicalTrials.gov's (API 2.0.5); parameters
the registry has and we do not are left out, and get a 400 when sent.
``parameters`` describes what each parameter accepts, from ``params`` as the
endpoints read it; ``paths`` the endpoints and their responses; ``schemas``
the response shapes.
"""

from __future__ import annotations

from ..params import API_VERSION
from .paths import paths
from .schemas import schemas


def description(server_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "TrialPortal API (ClinicalTrials.gov API v2 compatible)",
            "version": API_VERSION,
            "description": (
                "The studies on file at this TrialPortal, in ClinicalTrials.gov's API v2 shape. Query text is "
                'terms and "quoted phrases" (all must match), OR between alternatives, -term or NOT term '
                "to exclude; matching is case-insensitive substring matching. Unknown parameters get a 400."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths(),
        "components": {"schemas": schemas()},
    }
