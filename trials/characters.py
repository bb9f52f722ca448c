"""Characters XML 1.0 forbids: found, refused where text comes in, dropped where it goes out.

XML 1.0 allows tab, line feed, carriage return and everything from U+0020
except the surrogates and U+FFFE/U+FFFF. Text holding any other character
cannot go into the Atom feed or the sitemap, and means nothing in a trial
record: the registry's own data has none. Query parameters holding one are
refused (``trialportal.middleware``), the admin refuses them with a field
error, importers drop them, and the feed drops whatever is stored anyway.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

MESSAGE = "Control characters (other than tab and line breaks) and U+FFFE/U+FFFF are not allowed."


def has_forbidden(text: str) -> bool:
    return FORBIDDEN.search(text) is not None


def drop_forbidden(text: str) -> str:
    return FORBIDDEN.sub("", text)
