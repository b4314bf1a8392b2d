"""The webhook's TwiML answer: written out by hand, so it is checked against twilio's own."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from peerwork.texter.routes import twiml
from tests.sms_helpers import Phone

BODIES = [
    [],
    ["Welcome to the line"],
    ["a <b> & c > d \" ' ]]> </Message><Message>injected", "second"],
    ["Línea de apoyo: escribe AYUDA 😀\nsegunda línea"],
]


@pytest.mark.parametrize("bodies", BODIES)
def test_the_answer_is_what_twilios_messaging_response_prints(app, bodies):
    oracle = MessagingResponse()
    for body in bodies:
        oracle.message(body)
    answer = twiml(bodies)
    assert answer.mimetype == "text/xml"
    assert answer.get_data(as_text=True) == str(oracle)


@pytest.mark.parametrize("bodies", BODIES)
def test_each_reply_comes_back_whole_from_the_parsed_answer(app, bodies):
    root = ElementTree.fromstring(twiml(bodies).get_data(as_text=True))
    assert root.tag == "Response"
    assert [element.text or "" for element in root.iter("Message")] == bodies


def test_a_program_name_with_markup_characters_reaches_the_phone_intact(client, make):
    program = make.program(name="R&D <Peer> Line")
    replies = Phone(client, program, "+17165550188").sends("hi")
    assert replies  # the welcome
    assert any("R&D <Peer> Line" in reply for reply in replies)
