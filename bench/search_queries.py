"""The query mix of the search benchmark: every form a user types, made from generated customers.

Each query knows what a right answer is (`accepts`, judged on a hit's baseline row): the very customer
for a number, a phone or an e-mail; any customer of that name, street, city or postal code otherwise
(a million customers share cities, and sometimes names). "Found" means a right answer among the first 3.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from search_data import Row

FOLDED = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "å": "a", "Å": "A", "ä": "a", "ö": "o"})
TRANSLITERATED = str.maketrans(
    {"ø": "oe", "Ø": "Oe", "æ": "ae", "Æ": "Ae", "å": "aa", "Å": "Aa", "ä": "ae", "ö": "oe"}
)
NORDIC = set("øØæÆåÅäöÄÖ")


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    accepts: Callable[[Row], bool]


def fold(text: str) -> str:
    plain = text.casefold().translate(FOLDED)
    return unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()


def _spaced(number: str, groups: Sequence[int]) -> str:
    parts, at = [], 0
    for size in groups:
        parts.append(number[at : at + size])
        at += size
    return " ".join(part for part in parts if part)


def _typo(word: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped inside the word (not the first: users get that one right)."""
    at = rng.randint(1, len(word) - 3)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _phone_national(e164: str) -> str:
    national = {"+47": e164[3:], "+46": "0" + e164[3:], "+358": "0" + e164[4:], "+45": e164[3:]}
    return next(value for prefix, value in national.items() if e164.startswith(prefix))


def queries_for(row: Row, rng: random.Random) -> list[Query]:
    """Every kind of query this customer allows."""
    same = row.id

    def itself(hit: Row) -> bool:
        return hit.id == same

    def same_name(hit: Row) -> bool:
        return hit.name == row.name

    name_words = row.name.split()
    made = [
        Query("customer number", row.customer_number, itself),
        Query(
            "customer number prefix",
            row.customer_number[:5],
            lambda hit: hit.customer_number.startswith(row.customer_number[:5]),
        ),
        Query("name", row.name, same_name),
        Query(
            "name prefix",
            name_words[0][:5],
            lambda hit: any(fold(word).startswith(fold(name_words[0][:5])) for word in hit.name.split()),
        ),
        Query("street", row.street, lambda hit: fold(hit.street) == fold(row.street)),
        Query(
            "postal code",
            row.postal_code,
            lambda hit: hit.postal_code.replace(" ", "") == row.postal_code.replace(" ", ""),
        ),
        Query("city", row.city, lambda hit: fold(hit.city) == fold(row.city)),
    ]
    if len(name_words[0]) >= 6:
        made.append(
            Query("name with a typo", " ".join([_typo(name_words[0], rng), *name_words[1:]]), same_name)
        )
    if NORDIC & set(row.name):
        made.append(Query("name folded (ø as o)", row.name.translate(FOLDED), same_name))
        made.append(Query("name transliterated (ø as oe)", row.name.translate(TRANSLITERATED), same_name))
    if row.organisation_number:
        digits = row.organisation_number.replace("-", "")
        written = {
            "NO": _spaced(digits, (3, 3, 3)),
            "SE": f"{digits[:6]}-{digits[6:]}",
            "FI": row.organisation_number,
            "DK": _spaced(digits, (2, 2, 2, 2)),
        }[row.country]
        made.append(Query("organisation number as written", written, itself))
        vat = {
            "NO": f"NO {_spaced(digits, (3, 3, 3))} MVA",
            "SE": f"SE{digits}01",
            "FI": f"FI{digits}",
            "DK": f"DK {digits}",
        }[row.country]
        made.append(Query("VAT number", vat, itself))
    if row.contact_phones:
        e164 = row.contact_phones[0]
        code = {"NO": "47", "SE": "46", "FI": "358", "DK": "45"}[row.country]
        rest = e164[1 + len(code) :]
        made += [
            Query("phone, international with spaces", f"+{code} {_spaced(rest, (3, 2, 3, 3))}", itself),
            Query("phone, 00 prefix", f"00{code} {rest}", itself),
            Query("phone, national", _phone_national(e164), itself),
            Query("contact e-mail", row.contact_emails[0], itself),
            Query(
                "contact e-mail prefix",
                row.contact_emails[0].split("@")[0],
                lambda hit: any(
                    email.startswith(row.contact_emails[0].split("@")[0]) for email in hit.contact_emails
                ),
            ),
            Query(
                "contact name",
                row.contact_names[0],
                lambda hit: (
                    row.contact_names[0].casefold() in (name.casefold() for name in hit.contact_names)
                ),
            ),
        ]
    return made


def query_mix(rows: Sequence[Row], per_kind: int, seed: int) -> list[Query]:
    """Up to `per_kind` queries of each kind, from these customers, in a shuffled order."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Query]] = {}
    for row in rows:
        for query in queries_for(row, rng):
            chosen = by_kind.setdefault(query.kind, [])
            if len(chosen) < per_kind:
                chosen.append(query)
    mix = [query for chosen in by_kind.values() for query in chosen]
    rng.shuffle(mix)
    return mix
