"""Phone number parsing and display, with `phonenumbers`."""

from __future__ import annotations

import re

import phonenumbers

# +1 and ten digits, the area code and exchange not starting with 0 or 1: what
# Twilio sends for a North American phone, already in the form normalize() gives.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}")


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


def sender(raw: str) -> str:
    """The From of an inbound text: E.164 for a phone number, else kept as given (stripped).

    Short codes and alphanumeric senders cannot be texted back. A North
    American number in E.164 is returned at once: parsing would give it back
    unchanged, valid or not (parsing costs the webhook tens of microseconds).
    """
    raw = (raw or "").strip()
    if _NANP_E164.fullmatch(raw):
        return raw
    try:
        return normalize(raw)
    except InvalidPhoneNumber:
        return raw


def pretty(e164: str) -> str:
    """A program's own number for display, e.g. +1 585-555-0100."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164
