"""Phone number parsing and display, with `phonenumbers`."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """Not a valid phone number."""


def normalize(raw: str, region: str = "US") -> str:
    """Return the E.164 form of `raw`, or raise InvalidPhoneNumber."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("Enter a phone number, like +1 585 555 0100.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("That is not a valid phone number. Include the area code.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def pretty(e164: str) -> str:
    """A program's own number for display, e.g. +1 585-555-0100."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164
