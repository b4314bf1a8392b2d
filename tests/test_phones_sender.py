"""`phones.sender`: the webhook's From, with a shortcut that must agree with full parsing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from peerwork.phones import InvalidPhoneNumber, normalize, sender


def _parsed(raw: str) -> str:
    """The webhook's rule without the shortcut: E.164 when valid, else as given."""
    try:
        return normalize(raw)
    except InvalidPhoneNumber:
        return raw.strip()


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"\A\+1[0-9]{10}\Z", fullmatch=True))
def test_a_north_american_number_is_what_parsing_gives(raw):
    assert sender(raw) == _parsed(raw)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\A\s?\+?[0-9 ()-]{3,16}\s?\Z", fullmatch=True))
def test_any_other_sender_is_what_parsing_gives(raw):
    assert sender(raw) == _parsed(raw)


def test_readable_numbers_short_codes_and_names():
    assert sender(" +1 (585) 555-0100 ") == "+15855550100"
    assert sender("+447911123456") == "+447911123456"
    assert sender("24273") == "24273"  # a short code: kept, cannot be texted back
    assert sender(" ACME ") == "ACME"
    assert sender("") == ""
