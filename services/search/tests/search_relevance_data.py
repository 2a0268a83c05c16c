"""A generated Nordic customer register for the relevance suite (issue 10 point 6): a fixed seed, a few
thousand companies and private customers of NO, SE, FI and DK with realistic names, valid organisation
numbers (python-stdnum), addresses, and contacts with valid phones (phonenumbers) and e-mails.

Beside the random ones, a handful of *anchor* customers carry the letters and spellings the golden queries
are about (Østbø, Sjöberg, Ålesund, Mäkinen, Ærø); the random vocabulary never uses their name words, so
what a golden query should find is never ambiguous.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
from stdnum import luhn
from stdnum.dk import cvr
from stdnum.fi import ytunnus
from stdnum.no import orgnr

from contracts.contact import ContactState
from contracts.customer import CustomerState

SEED = 20261130
OFFICE = "office-relevance"

FIRST = {
    "NO": ["Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Bjørn", "Solveig", "Håkon", "Astrid", "Tor"],
    "SE": ["Anna", "Erik", "Karin", "Johan", "Maria", "Anders", "Elin", "Gustav", "Linnea", "Oskar"],
    "FI": ["Aino", "Mikko", "Leena", "Juha", "Satu", "Timo", "Päivi", "Jussi", "Helmi", "Eero"],
    "DK": ["Mette", "Søren", "Hanne", "Jens", "Lone", "Niels", "Birgitte", "Mads", "Pernille", "Rasmus"],
}
LAST = {
    "NO": [
        "Hansen",
        "Johansen",
        "Olsen",
        "Larsen",
        "Andersen",
        "Pedersen",
        "Nilsen",
        "Kristiansen",
        "Jensen",
        "Haugen",
    ],
    "SE": [
        "Andersson",
        "Johansson",
        "Karlsson",
        "Nilsson",
        "Eriksson",
        "Larsson",
        "Olsson",
        "Persson",
        "Svensson",
        "Gustafsson",
    ],
    "FI": [
        "Korhonen",
        "Virtanen",
        "Nieminen",
        "Hämäläinen",
        "Laine",
        "Heikkinen",
        "Koskinen",
        "Järvinen",
        "Lehtonen",
        "Saarinen",
    ],
    "DK": [
        "Nielsen",
        "Jensen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
    ],
}
TRADES = [
    "Bygg",
    "Elektro",
    "Rør",
    "Transport",
    "Regnskap",
    "Eiendom",
    "Maskin",
    "Data",
    "Design",
    "Konsult",
    "Trafikk",
    "Handel",
]
FORM = {"NO": "AS", "SE": "AB", "FI": "Oy", "DK": "ApS"}
PLACES = {
    "NO": [
        ("Oslo", "0150"),
        ("Bergen", "5003"),
        ("Trondheim", "7010"),
        ("Stavanger", "4006"),
        ("Tromsø", "9008"),
    ],
    "SE": [
        ("Stockholm", "111 51"),
        ("Göteborg", "411 01"),
        ("Malmö", "211 20"),
        ("Uppsala", "753 20"),
        ("Västerås", "722 11"),
    ],
    "FI": [
        ("Helsinki", "00100"),
        ("Espoo", "02100"),
        ("Tampere", "33100"),
        ("Turku", "20100"),
        ("Oulu", "90100"),
    ],
    "DK": [
        ("København", "1050"),
        ("Aarhus", "8000"),
        ("Odense", "5000"),
        ("Aalborg", "9000"),
        ("Esbjerg", "6700"),
    ],
}
STREETS = {
    "NO": ["Storgata", "Kirkegata", "Parkveien", "Skolegata", "Strandveien"],
    "SE": ["Storgatan", "Kungsgatan", "Drottninggatan", "Skolgatan", "Parkvägen"],
    "FI": ["Mannerheimintie", "Hämeenkatu", "Puistokatu", "Rantatie", "Koulukatu"],
    "DK": ["Vestergade", "Østergade", "Nørregade", "Algade", "Strandvejen"],
}
MOBILE = {"NO": ("+47", "4", 7), "SE": ("+4670", "", 7), "FI": ("+35840", "", 7), "DK": ("+45", "2", 7)}


def organisation_number(rng: random.Random, country: str) -> str:
    while True:
        if country == "NO":
            number = str(rng.randint(800_000_000, 999_999_999))
            if orgnr.is_valid(number):
                return number
        elif country == "SE":
            body = f"55{rng.randint(6_000_000, 9_999_999)}"
            return body + luhn.calc_check_digit(body)
        elif country == "FI":
            number = f"{rng.randint(1_000_000, 3_299_999)}{rng.randint(0, 9)}"
            if ytunnus.is_valid(number):
                return f"{number[:7]}-{number[7]}"
        else:
            number = str(rng.randint(10_000_000, 99_999_999))
            if cvr.is_valid(number):
                return number


def phone(rng: random.Random, country: str) -> str:
    prefix, first, length = MOBILE[country]
    while True:
        number = f"{prefix}{first}{rng.randint(10 ** (length - 1), 10**length - 1)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def vat_number(country: str, organisation: str) -> str:
    digits = organisation.replace("-", "")
    return {"NO": f"NO{digits}MVA", "SE": f"SE{digits}01", "FI": f"FI{digits}", "DK": f"DK{digits}"}[country]


@dataclass
class Register:
    customers: list[CustomerState]
    contacts: list[ContactState]
    anchors: dict[str, CustomerState]
    anchor_contacts: dict[str, ContactState]


def _customer(
    rng: random.Random,
    number: int,
    country: str,
    name: str,
    *,
    kind: str = "company",
    street: str | None = None,
    place: tuple[str, str] | None = None,
) -> CustomerState:
    city, postal_code = place or rng.choice(PLACES[country])
    organisation = organisation_number(rng, country) if kind == "company" else None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return CustomerState.model_validate(
        {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "office_id": OFFICE,
            "customer_number": str(number),
            "name": name,
            "type": kind,
            "organisation_number": organisation,
            "vat_number": vat_number(country, organisation) if organisation else None,
            "country": country,
            "active": rng.random() > 0.1,
            "global": False,
            "addresses": [
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "kind": "visiting",
                    "line1": street or f"{rng.choice(STREETS[country])} {rng.randint(1, 120)}",
                    "postal_code": postal_code,
                    "city": city,
                    "country": country,
                    "headquarters": True,
                }
            ],
            "created_at": now,
            "created_by": "generator",
            "updated_at": now,
            "updated_by": "generator",
            "version": 1,
        }
    )


def _contact(rng: random.Random, customer: CustomerState, first: str, last: str, domain: str) -> ContactState:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    country = customer.country or "NO"
    local = f"{first}.{last}".lower().translate(str.maketrans("æøåäöü", "aoaaou"))
    return ContactState.model_validate(
        {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "office_id": OFFICE,
            "customer_id": customer.id,
            "first_name": first,
            "last_name": last,
            "email": f"{local}@{domain}",
            "phone": phone(rng, country),
            "active": True,
            "created_at": now,
            "created_by": "generator",
            "updated_at": now,
            "updated_by": "generator",
            "version": 1,
        }
    )


ANCHORS: dict[str, tuple[str, str, str, tuple[str, str], tuple[str, str]]] = {
    # key: (country, name, street, (city, postal code), (contact first, last))
    "ostbo": ("NO", "Østbø Blikkenslager AS", "Fjellveien 7", ("Oslo", "0150"), ("Solveig", "Aasheim")),
    "sjoberg": ("SE", "Sjöberg Snickeri AB", "Ringvägen 33", ("Stockholm", "111 51"), ("Björn", "Åkesson")),
    "alesund": ("NO", "Ålesund Sjømat AS", "Brosundet 2", ("Ålesund", "6002"), ("Ørjan", "Brekke")),
    "makinen": (
        "FI",
        "Mäkinen Puutarha Oy",
        "Aleksanterinkatu 15",
        ("Helsinki", "00100"),
        ("Päivi", "Mäkelä"),
    ),
    "aero": ("DK", "Ærø Cykelværksted ApS", "Søndergade 4", ("Marstal", "5960"), ("Søren", "Kjærgaard")),
    "fjordkraft": (
        "NO",
        "Fjordkraft Ventilasjon AS",
        "Sandviksveien 90",
        ("Bergen", "5035"),
        ("Idun", "Wergeland"),
    ),
    "private": ("NO", "Gudrun Vinje", "Lindeveien 3", ("Trondheim", "7010"), ("Gudrun", "Vinje")),
}


def generate(count: int = 3000) -> Register:
    rng = random.Random(SEED)
    customers: list[CustomerState] = []
    contacts: list[ContactState] = []
    for number in range(count):
        country = rng.choice(("NO", "SE", "FI", "DK"))
        if rng.random() < 0.15:
            name = f"{rng.choice(FIRST[country])} {rng.choice(LAST[country])}"
            customer = _customer(rng, 100_000 + number, country, name, kind="private")
        else:
            name = f"{rng.choice(LAST[country])} {rng.choice(TRADES)} {FORM[country]}"
            customer = _customer(rng, 100_000 + number, country, name)
        customers.append(customer)
        domain = f"{customer.name.split()[0].lower()}{number}.example"
        for _ in range(rng.randint(0, 2)):
            contacts.append(
                _contact(rng, customer, rng.choice(FIRST[country]), rng.choice(LAST[country]), domain)
            )
    anchors: dict[str, CustomerState] = {}
    anchor_contacts: dict[str, ContactState] = {}
    for position, (key, (country, name, street, place, (first, last))) in enumerate(ANCHORS.items()):
        kind = "private" if key == "private" else "company"
        customer = _customer(rng, 900_000 + position, country, name, kind=kind, street=street, place=place)
        customer = customer.model_copy(update={"active": True})
        anchors[key] = customer
        customers.append(customer)
        anchor_contacts[key] = _contact(rng, customer, first, last, f"{key}-firma.example")
        contacts.append(anchor_contacts[key])
    return Register(customers, contacts, anchors, anchor_contacts)
