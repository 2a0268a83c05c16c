"""The demo data `crm seed` loads: Nordic customers with contacts and activities, the same for the same seed.

Customer `i` of seed `s` is drawn from its own random generator (`s-i`), so `seed 20` begins with the
customers of `seed 10`, and every body sent for it is the same on each run (an `Idempotency-Key` with
another body would be refused). Organisation numbers carry valid check digits (python-stdnum) and phone
numbers are valid in their numbering plan (phonenumbers), as the services check both.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from stdnum.dk import cvr
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

EXTERNAL_SYSTEM = "crm-seed"
"""The external-id system of seeded customers and contacts: a second run finds them by it."""
ANCHOR = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Activities are placed around this moment (fixed, so a rerun sends the same bodies)."""


@dataclass(frozen=True)
class Country:
    code: str
    language: str
    suffixes: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    """(postal code, city)"""
    organisation_number: Callable[[random.Random, str], str]
    phone_prefixes: tuple[str, ...]
    phone_length: int
    """Digits of the national number, prefix included."""
    words: tuple[str, ...]
    """Stems of company names."""
    trades: tuple[str, ...]


UNIQUE_DIGITS = 5
"""Digits of an organisation number that come from the customer's position, so that no two customers of
one seed share a number (an office may require them unique): positions up to 99,999."""


def unique_digits(seed: int, position: int) -> str:
    # Multiplying by a number coprime with 10 is a bijection modulo 10**k: distinct positions, distinct
    # digits, which still look random.
    return f"{(position * 7919 + seed * 104_729) % 10**UNIQUE_DIGITS:0{UNIQUE_DIGITS}d}"


def _with_check_digit(
    rng: random.Random, prefix: str, unique: str, length: int, validate: Callable[[str], Any]
) -> str:
    """A number of `length` digits: `prefix`, `unique`, random digits, and a last digit that makes
    `validate` pass (mod 11 schemes have bodies no digit completes: then other random digits)."""
    while True:
        free = length - len(prefix) - len(unique) - 1
        body = prefix + unique + "".join(rng.choice("0123456789") for _ in range(free))
        for digit in "0123456789":
            try:
                return str(validate(body + digit))
            except ValueError:
                continue


def _norwegian(rng: random.Random, unique: str) -> str:
    return str(no_orgnr.format(_with_check_digit(rng, rng.choice("89"), unique, 9, no_orgnr.validate)))


def _swedish(rng: random.Random, unique: str) -> str:
    return str(se_orgnr.format(_with_check_digit(rng, "556", unique, 10, se_orgnr.validate)))


def _finnish(rng: random.Random, unique: str) -> str:
    return str(ytunnus.format(_with_check_digit(rng, rng.choice("123"), unique, 8, ytunnus.validate)))


def _danish(rng: random.Random, unique: str) -> str:
    return _with_check_digit(rng, rng.choice("123456789"), unique, 8, cvr.validate)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "NO",
        "nb",
        ("AS", "AS", "ASA", "Holding AS"),
        ("Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Håkon", "Marit", "Øyvind", "Solveig", "Bjørn"),
        ("Nordmann", "Hansen", "Johansen", "Olsen", "Berg", "Haugen", "Østbø", "Dahl", "Lie", "Bakke"),
        ("Storgata", "Kirkegata", "Strandveien", "Fjordgata", "Bryggen", "Løkkeveien"),
        (
            ("0155", "Oslo"),
            ("5003", "Bergen"),
            ("7010", "Trondheim"),
            ("4006", "Stavanger"),
            ("9008", "Tromsø"),
        ),
        _norwegian,
        ("4", "9"),
        8,
        ("Nord", "Fjell", "Sjø", "Vest", "Øst", "Stein", "Skog", "Vik", "Dal", "Berg"),
        ("Bygg", "Elektro", "Rør", "Data", "Transport", "Regnskap", "Eiendom", "Marine"),
    ),
    Country(
        "SE",
        "sv",
        ("AB", "AB", "Handelsbolag", "Konsult AB"),
        ("Anna", "Erik", "Maria", "Johan", "Karin", "Lars", "Elin", "Björn", "Sofia", "Åsa"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Lindqvist", "Öberg"),
        ("Drottninggatan", "Storgatan", "Kungsgatan", "Sveavägen", "Järnvägsgatan", "Hamngatan"),
        (("111 51", "Stockholm"), ("411 06", "Göteborg"), ("211 20", "Malmö"), ("753 20", "Uppsala")),
        _swedish,
        ("70", "72", "73", "76"),
        9,
        ("Norr", "Sjö", "Berg", "Skog", "Ljus", "Väst", "Öst", "Sten", "Ek", "Dal"),
        ("Bygg", "El", "VVS", "Data", "Transport", "Redovisning", "Fastigheter", "Marin"),
    ),
    Country(
        "FI",
        "fi",
        ("Oy", "Oy", "Oyj", "Tmi"),
        ("Aino", "Mikko", "Liisa", "Juha", "Sanna", "Timo", "Päivi", "Jukka", "Kaisa", "Antti"),
        ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen"),
        ("Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Rantatie", "Kauppakatu", "Satamakatu"),
        (("00100", "Helsinki"), ("33100", "Tampere"), ("20100", "Turku"), ("90100", "Oulu")),
        _finnish,
        ("40", "44", "45", "50"),
        9,
        ("Pohjois", "Järvi", "Metsä", "Kivi", "Valo", "Länsi", "Itä", "Koivu", "Saari", "Vuori"),
        ("Rakennus", "Sähkö", "LVI", "Data", "Kuljetus", "Tilitoimisto", "Kiinteistöt", "Marine"),
    ),
    Country(
        "DK",
        "da",
        ("ApS", "A/S", "ApS", "I/S"),
        ("Mette", "Jens", "Louise", "Søren", "Camilla", "Mads", "Line", "Rasmus", "Freja", "Anders"),
        ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen"),
        ("Vestergade", "Østergade", "Nørregade", "Strandvejen", "Algade", "Havnegade"),
        (("1159", "København K"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg")),
        _danish,
        ("2", "3", "4", "5"),
        8,
        ("Nord", "Sø", "Skov", "Vest", "Øst", "Sten", "Lys", "Bøg", "Dal", "Havn"),
        ("Byg", "El", "VVS", "Data", "Transport", "Revision", "Ejendomme", "Marine"),
    ),
)

_TITLES = ("CEO", "CFO", "Head of Procurement", "Project Manager", "Office Manager", "Service Lead")
_ROLES = ("buyer", "decision_maker", "technical", "invoice_recipient")
_SEGMENTS = ("SMB", "Enterprise", "Public sector")
_SUBJECTS = {
    "note": ("Prefers email over phone", "Budget approved for next year", "New office opening in spring"),
    "call": ("Follow-up on the offer", "Called about the invoice", "Introduction call"),
    "meeting": ("Kick-off meeting", "Quarterly review", "Site visit"),
    "task": ("Send the offer", "Prepare the contract", "Book a demo", "Update the price list"),
    "calendar": ("Workshop at the customer", "Annual review", "Training session"),
}


def phone_number(rng: random.Random, country: Country) -> str:
    """A mobile number valid in the country's numbering plan, in E.164."""
    while True:
        prefix = rng.choice(country.phone_prefixes)
        digits = prefix + "".join(rng.choice("0123456789") for _ in range(country.phone_length - len(prefix)))
        parsed = phonenumbers.parse(digits if country.code != "SE" else "0" + digits, country.code)
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_FOLDED: dict[str, str | int | None] = {"ø": "o", "æ": "ae", "å": "a", "ß": "ss"}
"""Letters NFKD does not take apart."""


def ascii_slug(text: str, separator: str = "") -> str:
    """Lower-case ASCII letters and digits: `Østbø Bygg` → `ostbobygg` (for email addresses)."""
    folded = text.lower().translate(str.maketrans(_FOLDED))
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    words = ["".join(c for c in word if c.isalnum()) for word in plain.split()]
    return separator.join(word for word in words if word)


@dataclass(frozen=True)
class SeedContact:
    key: str
    """Its crm-seed external id."""
    body: dict[str, Any]
    """POST /v1/contacts without customer_id."""


@dataclass(frozen=True)
class SeedActivity:
    key: str
    body: dict[str, Any]
    """POST /v1/activities without customer_id and contact_ids."""
    contacts: tuple[int, ...]
    """Positions in the customer's contacts of the contacts it names."""


@dataclass(frozen=True)
class SeedCustomer:
    key: str
    body: dict[str, Any]
    """PUT /v1/customers/by-external-id/crm-seed/{key}."""
    contacts: tuple[SeedContact, ...]
    activities: tuple[SeedActivity, ...]


def customer(seed: int, position: int) -> SeedCustomer:
    """Customer number `position` (from 0) of seed `seed`."""
    rng = random.Random(f"{seed}-{position}")
    country = rng.choice(COUNTRIES)
    first, second = rng.sample(country.words, 2)
    name = f"{first}{second.lower()} {rng.choice(country.trades)} {rng.choice(country.suffixes)}"
    domain = f"{ascii_slug(name.rsplit(' ', 1)[0], '-')}.{country.code.lower()}"
    postal_code, city = rng.choice(country.cities)
    street = f"{rng.choice(country.streets)} {rng.randint(1, 120)}"
    addresses: list[dict[str, Any]] = [
        {
            "kind": "visiting",
            "line1": street,
            "postal_code": postal_code,
            "city": city,
            "country": country.code,
        }
    ]
    if rng.random() < 0.5:
        box = (
            f"Postboks {rng.randint(100, 9999)}" if country.code == "NO" else f"Box {rng.randint(100, 9999)}"
        )
        addresses.append(
            {
                "kind": "invoice",
                "line1": box,
                "postal_code": postal_code,
                "city": city,
                "country": country.code,
            }
        )
    key = f"{seed}-{position}"
    body = {
        "name": name,
        "type": "company",
        "country": country.code,
        "organisation_number": country.organisation_number(rng, unique_digits(seed, position)),
        "language": country.language,
        "segment": rng.choice(_SEGMENTS),
        "addresses": addresses,
    }
    people = [
        (rng.choice(country.first_names), rng.choice(country.last_names)) for _ in range(rng.randint(1, 3))
    ]
    emails = [f"{ascii_slug(first)}.{ascii_slug(last)}" for first, last in people]
    emails = [local if emails.count(local) == 1 else f"{local}{n + 1}" for n, local in enumerate(emails)]
    contacts = tuple(
        SeedContact(
            f"{key}-{n}",
            {
                "first_name": first,
                "last_name": last,
                "email": f"{emails[n]}@{domain}",
                "phone": phone_number(rng, country),
                "title": rng.choice(_TITLES),
                "roles": sorted(rng.sample(_ROLES, rng.randint(0, 2))),
                "main": n == 0,
                "language": country.language,
                "external_ids": {EXTERNAL_SYSTEM: f"{key}-{n}"},
            },
        )
        for n, (first, last) in enumerate(people)
    )
    return SeedCustomer(key, body, contacts, _activities(rng, key, len(contacts)))


def _activities(rng: random.Random, key: str, contact_count: int) -> tuple[SeedActivity, ...]:
    kinds = [rng.choice(tuple(_SUBJECTS)) for _ in range(rng.randint(1, 4))]
    used: set[str] = set()
    activities = []
    for n, kind in enumerate(kinds):
        # Subjects are unique within a customer: a later run recognises what it already logged by them.
        subject = next((s for s in _SUBJECTS[kind] if s not in used), f"{_SUBJECTS[kind][0]} ({n + 1})")
        used.add(subject)
        body: dict[str, Any] = {
            "kind": kind,
            "subject": subject,
            "occurred_at": (ANCHOR - timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 8))).isoformat(),
        }
        if kind == "task":
            done = rng.random() < 0.3
            body["due_at"] = (ANCHOR + timedelta(days=rng.randint(-10 if done else 1, 30))).isoformat()
            body["status"] = "done" if done else "planned"
        elif kind == "calendar":
            starts = ANCHOR + timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 6))
            body.update(
                starts_at=starts.isoformat(),
                ends_at=(starts + timedelta(hours=1)).isoformat(),
                status="planned",
            )
        contacts = tuple(sorted(rng.sample(range(contact_count), rng.randint(0, min(2, contact_count)))))
        activities.append(SeedActivity(f"{key}-a{n}", body, contacts))
    return tuple(activities)
