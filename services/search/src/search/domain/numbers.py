"""Numbers in every written form a user may type: customer, organisation and VAT numbers, phones.

Rule: the index holds, for each number, its compact form (letters and digits only, lowercase) and its
digits alone; a query is reduced the same two ways. So `NO 923 609 016 MVA`, `923 609 016`, `923-609-016`
and `NO923609016MVA` all meet `923609016`. VAT forms are built from the organisation number per country
(NO: `NO…MVA`, SE: `SE…01`, FI: `FI` + the digits without the dash, DK: `DK…`), because users copy them
off invoices. Phones are indexed as E.164 digits, with the `00` international prefix, and in national
form (with and without the trunk `0`), so `+47 412 34 567`, `0047 41234567` and `41234567` all hit.
"""

from __future__ import annotations

import re

import phonenumbers

_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_NOT_DIGIT = re.compile(r"[^0-9]")

MIN_NUMBER_DIGITS = 4
"""Shorter digit runs are not looked up as numbers (they would hit everything by accident)."""
MIN_PHONE_DIGITS = 6


def compact(text: str) -> str:
    """Letters and digits only, lowercase: `NO 923 609 016 MVA` → `no923609016mva`."""
    return _NOT_ALNUM.sub("", text.casefold())


def digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def vat_forms(organisation_number: str, country: str | None) -> list[str]:
    """The VAT numbers a company's organisation number is written as, compact and lowercase."""
    number = digits(organisation_number)
    if not number:
        return []
    match (country or "").upper():
        case "NO":
            return [f"no{number}mva", f"no{number}"]
        case "SE":
            return [f"se{number}01"]
        case "FI":
            return [f"fi{number}"]
        case "DK":
            return [f"dk{number}"]
        case _:
            return []


def number_forms(
    *numbers: str | None, country: str | None = None, organisation: str | None = None
) -> list[str]:
    """Every form under which these numbers are found: compact and digits-only of each, and the VAT forms
    of the organisation number. Sorted and without repeats, so a document's field is stable."""
    forms: set[str] = set()
    for number in (*numbers, organisation):
        if number:
            forms.add(compact(number))
            forms.add(digits(number))
    if organisation:
        for vat in vat_forms(organisation, country):
            forms.add(vat)
            forms.add(digits(vat))
    return sorted(form for form in forms if form)


def phone_forms(phone: str | None) -> list[str]:
    """The digit strings a user may type for this phone (stored as E.164 by the contact service)."""
    if not phone:
        return []
    forms = {digits(phone)}
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return sorted(form for form in forms if form)
    national = phonenumbers.national_significant_number(parsed)
    international = f"{parsed.country_code}{national}"
    forms |= {international, f"00{international}", national, f"0{national}"}
    return sorted(form for form in forms if form)


def query_phone_forms(text: str) -> list[str]:
    """What a typed phone is looked up as: its digits, and its digits without a leading `00`."""
    number = digits(text)
    if len(number) < MIN_PHONE_DIGITS:
        return []
    forms = [number]
    if number.startswith("00"):
        forms.append(number[2:])
    return forms


def looks_like_number(text: str) -> bool:
    """Mostly digits (a number with its separators, maybe a country prefix or suffix)."""
    number = digits(text)
    return len(number) >= MIN_NUMBER_DIGITS and len(number) * 2 >= len(compact(text))
