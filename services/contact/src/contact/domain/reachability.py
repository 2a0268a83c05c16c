"""How a contact is reached: phone numbers kept in E.164, email addresses kept as their normalised form.

Phones: people write a number the way they dial it, nationally (`412 34 567`), with `+` (`+47 412 34 567`)
or with the international prefix `00` (`0047 41234567`). The maintained numbering plans of the
`phonenumbers` library read all three; a national number takes its country from the customer's country,
the only place we know it from. Stored as E.164 (`+4741234567`), so that search, the portal and dialers see
one form. A number the plans call invalid (a digit missing, a range that does not exist) is refused rather
than kept half-right, since nobody can call it.

Emails: checked for syntax with `email-validator` (no DNS lookup: a mail server being down is no reason to
refuse a contact), and kept in its normalised form (the domain in lower case and IDNA-checked).
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domainkit import InvalidField

_INTERNATIONAL_PREFIX = re.compile(r"^\s*00")


def normalise_phone(raw: str, region: str | None) -> str:
    """The number in E.164; a national number is read in `region` (ISO 3166 alpha-2, may be None).
    Raises `InvalidField("phone", ...)` for anything that is not a dialable number."""
    number = _parse(raw, region)
    if number is None and _INTERNATIONAL_PREFIX.match(raw):
        # `00` is the international prefix in most of the world but not in every region (the US dials
        # 011), and a customer may have no country at all: read it as `+` when the region cannot.
        number = _parse(_INTERNATIONAL_PREFIX.sub("+", raw, count=1), None)
    if number is None:
        if region is None and not raw.lstrip().startswith(("+", "00")):
            raise InvalidField(
                "phone",
                "has no country code and the customer has no country; write it as +<country code> <number>",
            )
        raise InvalidField("phone", "is not a valid phone number")
    if number.extension:
        raise InvalidField("phone", "cannot keep an extension; give the number without it")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_email(raw: str) -> str:
    """The address in its normalised form. Raises `InvalidField("email", ...)` when it is not one."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidField("email", str(error)) from None
