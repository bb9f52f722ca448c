"""Sign-in throttling (django-axes): the part that needs code."""

from __future__ import annotations

# django-axes keeps the username of each attempt in a column this long.
STORED_USERNAME_LENGTH = 255


def attempted_username(request, credentials: dict | None = None) -> str | None:
    """The username a sign-in attempt gave, cut to what django-axes stores.

    The admin's sign-in form does not bound what it is sent, and a longer
    name would fail to save with the failed attempt (a 500 on PostgreSQL).
    Otherwise as django-axes reads it: from the credentials, else the form.
    """
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get("username")
    return username[:STORED_USERNAME_LENGTH] if isinstance(username, str) else username
