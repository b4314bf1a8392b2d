"""The web pages in Spanish: catalogs complete, compiled .mo files current, locale chosen
by the user's profile, then the browser's Accept-Language."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from peerwork import languages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "peerwork" / "translations"
LOCALES = sorted(set(languages.LANGUAGES) - {languages.DEFAULT})
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def extracted() -> set:
    """Every message of the pages babel.cfg lists, as pybabel extract would find it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_string_has_a_translation(locale):
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id)): m
        for m in catalog(locale)
        if m.id and not m.fuzzy
    }
    wanted = extracted()
    assert len(wanted) > 80  # the workspace, offers, a conversation and the page frame
    missing = [m for m in wanted if m not in translated]
    assert missing == [], f"run the pybabel steps in README 'Spanish': {missing[:5]}"
    for key in wanted:
        message = translated[key]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = key if isinstance(key, tuple) else (key,)
        assert all(strings), f"{key} has no {locale} text"
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[-1])), key


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_is_compiled_from_the_po(locale):
    """No build step for a newcomer: the .mo is committed, and must say what the .po says."""
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog(locale):
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, message.id
        else:
            assert compiled.ngettext(*message.id, 1) == message.string[0], message.id
            assert compiled.ngettext(*message.id, 5) == message.string[-1], message.id


def test_workspace_follows_the_browser_then_the_profile(client, make, session, now):
    program = make.program(name="Acme Peer Line")
    peer = make.peer(program, alias="Rosa")
    session.commit()
    client.login(peer.user)

    spanish = client.get("/peer/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    page = spanish.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Hola, Rosa" in page and "Sus conversaciones" in page
    assert "Cerrar sesión" in page

    english = client.get("/peer/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Hi, Rosa" in english and '<html lang="en">' in english

    # The profile's choice wins over the browser, either way.
    peer.user.locale = "es"
    session.commit()
    chosen = client.get("/peer/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Hola, Rosa" in chosen
    peer.user.locale = "en"
    session.commit()
    chosen = client.get("/peer/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Hi, Rosa" in chosen


def test_the_profile_saves_languages_spoken_and_the_page_language(client, make, session):
    program = make.program(name="Acme Peer Line")
    peer = make.peer(program, alias="Rosa")
    session.commit()
    client.login(peer.user)
    page = client.get("/peer/profile").get_data(as_text=True)
    assert "Languages you can hold a conversation in" in page and "Español" in page
    form = {
        "alias": "Rosa",
        "any_topic": "y",
        "capacity": "2",
        "languages": ["en", "es"],
        "locale": "es",
        "mon_on": "y",
        "mon_start": "09:00",
        "mon_end": "17:00",
    }
    response = client.post_form("/peer/profile", form)
    assert response.status_code == 302
    session.refresh(peer)
    session.refresh(peer.user)
    assert peer.languages == "en,es" and peer.user.locale == "es"
    assert "Sus conversaciones" in client.get("/peer/").get_data(as_text=True)
