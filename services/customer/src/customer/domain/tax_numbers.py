"""Organisation numbers, VAT numbers and further tax IDs: validated and normalised per country.

python-stdnum knows the check-digit rules. This module decides which rule applies, accepts the forms
people actually write (spaces, dots, dashes, a country prefix, Norway's `MVA` suffix), and turns
stdnum's exceptions into `InvalidField` so the API answers 422 naming the field.

Every number comes back as a `NormalisedNumber`: `display` is kept for people, `compact` is stored
and searched, and `searchable_forms` lists every key search should index so that
`NO 923 609 016 MVA`, `923609016` and `923 609 016` all find the same customer.

Compact forms:

* organisation numbers of NO, SE, FI, DK: digits only, no country prefix (`923609016`,
  `5561888404`, `20774740`, `13585628`). Finland's Business ID is displayed `2077474-0` but stored
  without the dash: that is stdnum's own compact form, it equals the Finnish VAT number without
  `FI`, and a search for the digits finds it;
* VAT numbers: upper case with the country prefix, as VAT numbers are written across the EU
  (`SE556188840401`, `NO923609016MVA`, `GB980780684`, `CHE107787577MWST`; Greece uses `EL`);
* other numbers stdnum validates (SIRET, SIREN, EIN, Indian GSTIN): stdnum's compact form;
* everything else: upper case with whitespace, dots and dashes removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.ch import vat as ch_vat
from stdnum.dk import cvr as dk_cvr
from stdnum.eu import vat as eu_vat
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.gb import vat as gb_vat
from stdnum.in_ import gstin as in_gstin
from stdnum.no import mva as no_mva
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from stdnum.us import ein as us_ein

from domainkit import InvalidField

MAX_LENGTH = 50
"""Longest number accepted, typed or compact (the database columns are this wide)."""


@dataclass(frozen=True)
class NormalisedNumber:
    """A validated number: `display` as the country writes it, `compact` as stored and searched."""

    display: str
    compact: str


@dataclass(frozen=True)
class _Scheme:
    """One stdnum number type: how to validate it, how to write it, what to call it in errors."""

    name: str  # completes "is not a valid ..."
    validate: Callable[[str], str]  # returns stdnum's compact form or raises ValidationError
    format: Callable[[str], str] | None  # None: stdnum has no format, the typed form is displayed
    length_hint: str = ""


_ORGANISATION_SCHEMES: dict[str, _Scheme] = {
    "NO": _Scheme("Norwegian organisation number", no_orgnr.validate, no_orgnr.format, "9 digits"),
    "SE": _Scheme("Swedish organisation number", se_orgnr.validate, se_orgnr.format, "10 digits"),
    "FI": _Scheme("Finnish business ID (Y-tunnus)", fi_ytunnus.validate, fi_ytunnus.format, "8 digits"),
    "DK": _Scheme("Danish CVR number", dk_cvr.validate, None, "8 digits"),
}

_TAX_ID_SCHEMES: dict[str, _Scheme] = {
    "SIRET": _Scheme("French SIRET number", fr_siret.validate, fr_siret.format, "14 digits"),
    "SIREN": _Scheme("French SIREN number", fr_siren.validate, fr_siren.format, "9 digits"),
    "EIN": _Scheme("US employer identification number (EIN)", us_ein.validate, us_ein.format, "9 digits"),
}

# "GST" is used by several countries (India, Australia, Canada, New Zealand, Singapore) with
# unrelated formats, so the Indian GSTIN rule only applies to Indian customers.
_GSTIN = _Scheme("Indian GSTIN", in_gstin.validate, None, "15 characters")

# The names used in VAT error messages, by VAT prefix. The EU members are the ones stdnum.eu.vat
# checks; XI is Northern Ireland (EU VAT rules for goods), EL is how Greece prefixes VAT numbers.
_VAT_COUNTRY_NAMES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "EL": "Greece",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "XI": "Northern Ireland",
    "NO": "Norway",
    "GB": "the United Kingdom",
    "CH": "Switzerland",
}

# Whitespace, dots and dashes, including the Unicode dashes and minus sign that word processors
# and PDFs put into copied numbers.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
_SWISS_VAT = re.compile(r"^(CHE[0-9]{9})(MWST|TVA|IVA|TPV)$")
_SWEDISH_VAT = re.compile(r"^SE([0-9]{10})01$")
_NORWEGIAN_VAT = re.compile(r"^(?:NO)?([0-9]{9})(?:MVA)?$")


def normalise_organisation_number(
    number: str, country: str | None, field: str = "organisation_number"
) -> NormalisedNumber:
    """Validate and normalise a company's organisation number for its country.

    NO, SE, FI and DK numbers are checked with their check digits; a leading country prefix
    (`NO`, `SE`, `FI`, `DK`) is accepted, and so are Norway's VAT form (`NO 923 609 016 MVA`) and
    Sweden's (`SE 556188840401`), which contain the organisation number. Numbers of other or
    unknown countries only get the basic sanity check. Raises `InvalidField(field, ...)`.
    """
    typed = _tidy(number, field)
    country = _country(country)
    scheme = _ORGANISATION_SCHEMES.get(country or "")
    if country is None or scheme is None:
        return _sane(typed, field)
    candidate = _squeeze(typed)
    if candidate.startswith(country):
        candidate = candidate[len(country) :]
        # The Swedish VAT number is the organisation number followed by "01".
        if country == "SE" and len(candidate) == 12 and candidate.endswith("01"):
            candidate = candidate[:10]
    # The Norwegian VAT number is the organisation number followed by "MVA".
    if country == "NO" and candidate.endswith("MVA"):
        candidate = candidate[:-3]
    compact = _validate(scheme, candidate, field)
    return NormalisedNumber(scheme.format(compact) if scheme.format else typed, compact)


def normalise_vat_number(number: str, country: str | None, field: str = "vat_number") -> NormalisedNumber:
    """Validate and normalise a VAT number; the compact form keeps its country prefix.

    The prefix the number is written with decides the rules (a Swedish customer may well have a
    Danish VAT number); without one, the customer's `country` does and its prefix is added. EU
    members are checked with stdnum.eu.vat, Norway with stdnum.no.mva (a bare organisation number
    given as the VAT number gets its `MVA`), the United Kingdom and Switzerland with their own
    modules. Numbers of other or unknown countries only get the basic sanity check. Raises
    `InvalidField(field, ...)`.
    """
    typed = _tidy(number, field)
    candidate = _squeeze(typed)
    prefix = _vat_prefix(candidate)
    if prefix is None:
        prefix = _vat_prefix_for_country(_country(country))
        if prefix is None:
            return _sane(typed, field)
        candidate = ("CHE" if prefix == "CH" else prefix) + candidate
        # Shown with the prefix that was implied, as VAT numbers are written on invoices.
        typed = f"{prefix} {typed}"
    # stdnum accepts GR as well, but the prefix Greek VAT numbers are written and stored with is EL.
    elif prefix == "GR":
        prefix, candidate = "EL", "EL" + candidate[2:]
    name = f"VAT number for {_VAT_COUNTRY_NAMES[prefix]}"

    if prefix == "NO":
        # no.mva insists on the MVA suffix; a bare organisation number in the VAT field means it.
        written = _NORWEGIAN_VAT.match(candidate)
        candidate = f"{written.group(1)}MVA" if written else candidate[2:]
        compact = "NO" + _validate(_Scheme(name, no_mva.validate, None, "9 digits and MVA"), candidate, field)
        return NormalisedNumber(no_mva.format(compact), compact)
    if prefix == "GB":
        digits = _validate(_Scheme(name, gb_vat.validate, None, "9 or 12 digits"), candidate[2:], field)
        return NormalisedNumber(f"GB {gb_vat.format(digits)}", "GB" + digits)
    if prefix == "CH":
        hint = "CHE, 9 digits and MWST, TVA, IVA or TPV"
        compact = _validate(_Scheme(name, ch_vat.validate, None, hint), candidate, field)
        return NormalisedNumber(ch_vat.format(compact), compact)
    compact = _validate(_Scheme(name, eu_vat.validate, None), candidate, field)
    # The EU modules have no format function (Poland's aside), so the typed form is displayed,
    # unless the added prefix made it too long to be accepted again.
    return NormalisedNumber(typed if len(typed) <= MAX_LENGTH else compact, compact)


def normalise_tax_id(tax_type: str, number: str, country: str | None, index: int) -> NormalisedNumber:
    """Validate and normalise one of a customer's further tax IDs, where stdnum knows its type.

    `VAT` and `ORG` follow the VAT and organisation number rules for `country`; `SIRET`, `SIREN`
    and `EIN` are checked wherever the customer is; `GST` is checked as an Indian GSTIN for Indian
    customers. Other types only get the basic sanity check. Errors name the item's field,
    `tax_ids.{index}.number`.
    """
    field = f"tax_ids.{index}.number"
    kind = tax_type.strip().upper()
    if kind == "VAT":
        return normalise_vat_number(number, country, field)
    if kind == "ORG":
        return normalise_organisation_number(number, country, field)
    scheme = _TAX_ID_SCHEMES.get(kind)
    if kind == "GST" and _country(country) == "IN":
        scheme = _GSTIN
    typed = _tidy(number, field)
    if scheme is None:
        return _sane(typed, field)
    compact = _validate(scheme, _squeeze(typed), field)
    return NormalisedNumber(scheme.format(compact) if scheme.format else typed, compact)


def searchable_forms(number: NormalisedNumber) -> set[str]:
    """Every key search should index for a number, so the ways people type it all find it.

    Always the compact form and, when it has digits, the digits alone. For VAT numbers also the
    form without the country prefix and without Norway's `MVA` suffix, Sweden's organisation
    number inside its VAT number, and the Swiss UID without its language suffix (MWST/TVA/IVA/TPV
    all name the same number). VAT numbers are recognised by their prefix, so the function needs
    nothing but the number.
    """
    compact = number.compact
    forms = {compact, "".join(ch for ch in compact if "0" <= ch <= "9")}
    swiss = _SWISS_VAT.match(compact)
    if swiss:
        forms.add(swiss.group(1))  # the UID; its nine digits are the digits-only form
    prefix = compact[:2]
    unprefixed = compact[2:]
    if prefix in _VAT_COUNTRY_NAMES and prefix != "CH" and any(ch.isdigit() for ch in unprefixed):
        forms.add(unprefixed)
        # Without the prefix and MVA it is the organisation number: that is the digits-only form.
        if prefix == "NO" and unprefixed.endswith("MVA"):
            forms.add(compact[:-3])
    swedish = _SWEDISH_VAT.match(compact)
    if swedish:
        forms.add(swedish.group(1))
    forms.discard("")
    return forms


def _country(country: str | None) -> str | None:
    """Callers send ISO 3166-1 alpha-2 upper case; tolerate case and stray whitespace anyway."""
    cleaned = (country or "").strip().upper()
    return cleaned or None


def _tidy(number: str, field: str) -> str:
    """The number as typed, made safe to keep: the basic sanity rules every number must pass.

    NFKC turns full-width digits and letters (Asian input methods) into ASCII ones; invisible
    format characters (zero-width spaces, soft hyphens, BOMs pasted along with a number) are
    dropped; whitespace runs become one space.
    """
    text = "".join(ch for ch in number if unicodedata.category(ch) != "Cf")
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    if not text:
        raise InvalidField(field, "must not be empty")
    if len(text) > MAX_LENGTH:
        raise InvalidField(field, f"is longer than {MAX_LENGTH} characters")
    if not text.isprintable():
        raise InvalidField(field, "has characters that do not belong in a number")
    if not any(ch.isalnum() for ch in text):
        raise InvalidField(field, "must contain at least one letter or digit")
    return text


def _squeeze(text: str) -> str:
    """Upper case without separators: the form that compares equal however it was written."""
    # Upper-casing can leave decomposed letters (Greek "ΐ" becomes capital iota + two combining marks) that NFKC
    # in `_tidy` would recompose, so normalise again: the compact form must be its own compact form.
    # Removing a separator can bring a letter and a combining mark together ("K ̧" → "Ķ"): normalise
    # once more after removing them.
    without_separators = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text.upper()))
    return unicodedata.normalize("NFKC", without_separators)


def _sane(typed: str, field: str) -> NormalisedNumber:
    """A number no check-digit rule is known for: kept as typed, compacted for search."""
    compact = _squeeze(typed)
    # Upper-casing can lengthen text ("ß" becomes "SS"); the compact form must fit its column too,
    # and must pass these rules itself when normalised again.
    _tidy(compact, field)
    return NormalisedNumber(typed, compact)


def _vat_prefix(candidate: str) -> str | None:
    """The VAT prefix the number is written with, if it starts with one we have rules for."""
    prefix = candidate[:2]
    if prefix == "GR" or prefix in _VAT_COUNTRY_NAMES:
        return prefix
    return None


def _vat_prefix_for_country(country: str | None) -> str | None:
    """The VAT prefix of a customer's country, if we have rules for its VAT numbers."""
    if country in ("GR", "EL"):
        return "EL"
    if country in _VAT_COUNTRY_NAMES:
        return country
    return None


def _validate(scheme: _Scheme, candidate: str, field: str) -> str:
    """Run stdnum's check; its errors become an InvalidField that says what is wrong."""
    try:
        return scheme.validate(candidate)
    except stdnum_errors.InvalidChecksum:
        reason = "the check digit is wrong"
    except stdnum_errors.InvalidLength:
        reason = "it has the wrong length" + (
            f" (expected {scheme.length_hint})" if scheme.length_hint else ""
        )
    except stdnum_errors.InvalidFormat:
        reason = "it has characters that do not belong"
    except stdnum_errors.InvalidComponent:
        reason = "a part of it is not valid (such as a prefix, suffix or region code)"
    except (ValueError, LookupError):
        # ValidationError is a ValueError. Anything else a stdnum parser trips over on odd input
        # (an int() or index on a malformed string) still means "not a valid number", never a 500.
        reason = "it is not a valid number"
    raise InvalidField(field, f"is not a valid {scheme.name}: {reason}")
