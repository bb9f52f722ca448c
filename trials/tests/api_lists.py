"""What ``/api/v2/studies`` lists for some parameters, as a set of NCT IDs."""

from __future__ import annotations


def listed(client, **params: str) -> set[str]:
    """The NCT IDs the API lists for ``params`` (all on one page), asserting it answers 200."""
    response = client.get("/api/v2/studies", {"pageSize": 1000, "fields": "NCTId", **params})
    assert response.status_code == 200, response.content
    return {study["protocolSection"]["identificationModule"]["nctId"] for study in response.json()["studies"]}
