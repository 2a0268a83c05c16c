"""Generated Nordic customers for the search benchmark, and the query mix asked of them (issue 10 point 7).

A fixed seed makes the same register every run, so a loaded index and table can be reused. Names, streets
and contact surnames are coined from Nordic syllables (thousands of distinct words, with å, æ, ø, ä and ö),
so at a million customers a name is still mostly someone's own, as in a real register. Organisation
numbers are valid (their check digits computed as python-stdnum checks them), phones are valid mobiles
(phonenumbers), e-mails are unique.

Each customer is a `Row` (what the PostgreSQL baselines store, one row per customer) and a document built
by the search service's own `customer_document`, so the benchmark indexes exactly what the service does.
Each also has what the result page's facets count in a real register: an owner (one of 40), a segment
(four in five customers), up to three categories (of 30), and one in ten is inactive. These come from a
stream of their own, so the rows the PostgreSQL baselines hold are the same as before they were added.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.dk import cvr
from stdnum.fi import alv
from stdnum.no import orgnr

from contracts.contact import ContactState
from contracts.customer import Address, CustomerState, Owner
from search.domain.document import customer_document

SEED = 20261130
DATA_VERSION = 2
"""Changed with what `generate` makes, so that a kept index of an older generator is loaded again.
2: owners, segments, categories and inactive customers. Before, the facets had nothing to count but type,
country, city and `active: true`: on a copy of the million-customer index, the engine's p95 over the
query mix was 18.2 ms without these values and 24.0 ms with them."""
OFFICE = "office-bench"
NUMBER_BASE = 1_000_000

_START = ["Sol", "Bjør", "Fjell", "Ås", "Nord", "Vik", "Lund", "Berg", "Dal", "Hav", "Skog", "Sjö", "Strøm",
          "Lid", "Ek", "Gran", "Holm", "Kvist", "Myr", "Rud", "Sand", "Stein", "Tind", "Ulv", "Vår", "Øst",
          "Vest", "Sør", "Lyng", "Brekk", "Hæg", "Mäk", "Kall", "Rönn", "Aal", "Ting", "Kross", "Fager",
          "Salt", "Jär"]  # fmt: skip
_MIDDLE = ["", "e", "a", "er", "en", "ru", "vi", "ha", "sta", "li", "mo", "bø"]
_END = ["haug", "vik", "dal", "berg", "lund", "strand", "heim", "gård", "å", "by", "nes", "rud", "bakk",
        "torp", "ström", "backa", "mäki", "järvi", "holm", "sted", "bø", "ås", "li", "fjord", "kvern"]  # fmt: skip
TRADES = ["Bygg", "Elektro", "Rør", "Transport", "Regnskap", "Eiendom", "Maskin", "Data", "Design", "Konsult",
          "Handel", "Snickeri", "Sjømat", "Ventilasjon", "Puutarha", "Cykel", "Advokat", "Tannlege"]  # fmt: skip
FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Bjørn", "Solveig", "Håkon", "Anna", "Erik", "Karin",
         "Johan", "Aino", "Mikko", "Päivi", "Jussi", "Mette", "Søren", "Hanne", "Jens", "Ørjan", "Åse"]  # fmt: skip
FORM = {"NO": "AS", "SE": "AB", "FI": "Oy", "DK": "ApS"}
PLACES = {
    "NO": [("Oslo", "0150"), ("Bergen", "5003"), ("Trondheim", "7010"), ("Tromsø", "9008"), ("Ålesund", "6002"),
           ("Bodø", "8006"), ("Førde", "6800"), ("Stavanger", "4006")],
    "SE": [("Stockholm", "111 51"), ("Göteborg", "411 01"), ("Malmö", "211 20"), ("Västerås", "722 11"),
           ("Umeå", "903 26"), ("Örebro", "702 10")],
    "FI": [("Helsinki", "00100"), ("Espoo", "02100"), ("Tampere", "33100"), ("Jyväskylä", "40100"),
           ("Hämeenlinna", "13100")],
    "DK": [("København", "1050"), ("Aarhus", "8000"), ("Odense", "5000"), ("Ærøskøbing", "5970"),
           ("Næstved", "4700")],
}  # fmt: skip
STREET_KIND = {"NO": "veien", "SE": "vägen", "FI": "tie", "DK": "vej"}
MOBILE = {"NO": "+474", "SE": "+4670", "FI": "+35840", "DK": "+452"}
COUNTRIES = ("NO", "SE", "FI", "DK")

# The facets' values. Their words share no start with the coined names, trades, first names and places
# above, so they add matches to no query of the mix (owner and category names are searched words too).
_CATEGORY_IDS = random.Random(SEED + 1)  # its own stream, apart from the one `generate` draws from
OWNERS = [
    Owner.model_construct(id=f"user-{number:02}", name=f"{first} {last}")
    for number, (first, last) in enumerate(
        (first, last)
        for first in ("Petter", "Marit", "Tove", "Geir", "Oskar")
        for last in ("Moe", "Tveit", "Iversen", "Wold", "Pettersen", "Nyqvist", "Aho", "Quist")
    )
]
SEGMENTS = ["Key account", "SMB", "Public", "Partner", "Prospect", "Retail"]
CATEGORIES = {
    str(uuid.UUID(int=_CATEGORY_IDS.getrandbits(128), version=4)): name
    for name in ("Rammeavtale", "Serviceavtale", "Leverandør", "Nyhetsbrev", "Julekort", "Messe", "Pilot",
                 "Gullkunde", "Bronsekunde", "Import", "Offentlig", "Frivillig", "Skole", "Helse", "Kommune",
                 "Fylke", "Partnerprogram", "Betalingsanmerkning", "Forhåndsbetaling", "Storkunde",
                 "Nykunde", "Tapt", "Vinterkampanje", "Sommerkampanje", "Webinar", "Referanse", "Pris",
                 "Garanti", "Quiz", "Yrkesmesse")
}  # fmt: skip
UPDATED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Row:
    """One customer as the PostgreSQL baselines hold it, and what the query mix is made from."""

    id: uuid.UUID
    customer_number: str
    name: str
    type: str
    country: str
    organisation_number: str | None
    vat_number: str | None
    street: str
    postal_code: str
    city: str
    contact_names: list[str] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)
    contact_phones: list[str] = field(default_factory=list)

    def haystack(self) -> str:
        """Every searched field in one lowercase text: what an `ILIKE '%term%'` search looks through."""
        parts = [self.customer_number, self.name, self.organisation_number or "", self.vat_number or "",
                 self.street, self.postal_code, self.city, *self.contact_names, *self.contact_emails,
                 *self.contact_phones]  # fmt: skip
        return " ".join(parts).lower()


def coined(rng: random.Random) -> str:
    return f"{rng.choice(_START)}{rng.choice(_MIDDLE)}{rng.choice(_END)}"


def _with_check_digit(body: str, checksum: Callable[[str], int]) -> str | None:
    """`body` with the check digit that makes a weighted mod-11 checksum 0 (last weight 1), if any."""
    check = (-checksum(body + "0")) % 11
    return None if check == 10 else body + str(check)


def organisation_number(rng: random.Random, country: str) -> str:
    while True:
        if country == "NO":
            number = _with_check_digit(str(rng.randint(80_000_000, 99_999_999)), orgnr.checksum)
        elif country == "SE":
            body = f"55{rng.randint(6_000_000, 9_999_999)}"
            number = body + luhn.calc_check_digit(body)
        elif country == "FI":
            found = _with_check_digit(f"{rng.randint(1_000_000, 3_299_999)}", alv.checksum)
            number = f"{found[:7]}-{found[7]}" if found else None
        else:
            number = _with_check_digit(str(rng.randint(1_000_000, 9_999_999)), cvr.checksum)
        if number:
            return number


def vat_number(country: str, organisation: str) -> str:
    digits = organisation.replace("-", "")
    return {"NO": f"NO{digits}MVA", "SE": f"SE{digits}01", "FI": f"FI{digits}", "DK": f"DK{digits}"}[country]


def mobile(rng: random.Random, country: str) -> str:
    while True:
        number = f"{MOBILE[country]}{rng.randint(1_000_000, 9_999_999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def ascii_local(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text.lower().replace("ø", "o").replace("æ", "ae"))
        .encode("ascii", "ignore")
        .decode()
    )


def generate(count: int) -> Iterator[tuple[Row, dict[str, Any]]]:
    """`count` customers, each as its baseline row and its search document; the same every run."""
    rng = random.Random(SEED)
    register = random.Random(SEED + 2)  # owners, segments, categories: apart from `rng`, see above
    category_ids = list(CATEGORIES)
    for position in range(count):
        country = rng.choice(COUNTRIES)
        company = rng.random() > 0.15
        surname = f"{coined(rng)}{rng.choice(['sen', 'rud', 'strand', 'son', 'nen', ''])}"
        name = (
            f"{coined(rng)} {rng.choice(TRADES)} {FORM[country]}"
            if company
            else f"{rng.choice(FIRST)} {surname}"
        )
        organisation = organisation_number(rng, country) if company else None
        city, postal_code = rng.choice(PLACES[country])
        street = f"{coined(rng)}{STREET_KIND[country]} {rng.randint(1, 150)}"
        row = Row(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            customer_number=str(NUMBER_BASE + position),
            name=name,
            type="company" if company else "private",
            country=country,
            organisation_number=organisation,
            vat_number=vat_number(country, organisation) if organisation else None,
            street=street,
            postal_code=postal_code,
            city=city,
        )
        contacts = []
        for serial in range(rng.choice((0, 1, 1, 2))):
            first, last = rng.choice(FIRST), f"{coined(rng)}{rng.choice(['sen', 'son', 'nen', 'rud'])}"
            email = f"{ascii_local(first)}.{ascii_local(last)}.{position}{serial}@{ascii_local(name.split()[0])}.example"
            contact = ContactState.model_construct(
                id=uuid.UUID(int=rng.getrandbits(128), version=4), office_id=OFFICE, customer_id=row.id,
                first_name=first, last_name=last, email=email, phone=mobile(rng, country), title=None,
                active=True, version=1,
            )  # fmt: skip
            contacts.append(contact)
            row.contact_names.append(f"{first} {last}")
            row.contact_emails.append(email)
            row.contact_phones.append(contact.phone or "")
        state = _state(row).model_copy(
            update={
                "owner": register.choice(OWNERS),
                "segment": register.choice(SEGMENTS) if register.random() < 0.8 else None,
                "category_ids": [
                    uuid.UUID(category)
                    for category in register.sample(category_ids, register.choice((0, 1, 1, 2, 3)))
                ],
                "active": register.random() >= 0.1,
            }
        )
        yield row, customer_document(state, contacts, CATEGORIES)


def _state(row: Row) -> CustomerState:
    """The customer state the document is built from, constructed without validation (it is valid)."""
    address = Address.model_construct(
        id=uuid.UUID(int=row.id.int ^ 1), kind="visiting", line1=row.street, line2=None,
        postal_code=row.postal_code, city=row.city, region=None, country=row.country, headquarters=True,
    )  # fmt: skip
    return CustomerState.model_construct(
        id=row.id, office_id=OFFICE, customer_number=row.customer_number, name=row.name, type=row.type,
        organisation_number=row.organisation_number, country=row.country, vat_number=row.vat_number,
        tax_ids=[], segment=None, category_ids=[], owner=None, addresses=[address], active=True,
        global_=False, updated_at=UPDATED, version=1,
    )  # fmt: skip
