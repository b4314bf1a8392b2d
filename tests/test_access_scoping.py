"""One "your program or 404" (peerwork.access) behind every view that loads by id."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from peerwork import access
from peerwork.models import Topic


def test_a_program_is_found_only_in_its_own_organization(app, make):
    mine, theirs = make.program(), make.program(make.org())
    with app.test_request_context():
        assert access.program_or_404(mine.id, mine.organization_id) is mine
        with pytest.raises(NotFound):
            access.program_or_404(theirs.id, mine.organization_id)
        with pytest.raises(NotFound):
            access.program_or_404(10**9, mine.organization_id)


def test_a_row_is_found_only_in_its_own_program(app, make):
    mine, theirs = make.program(), make.program()
    topic = theirs.topics[0]
    with app.test_request_context():
        assert access.in_program_or_404(Topic, topic.id, theirs.id) is topic
        with pytest.raises(NotFound):
            access.in_program_or_404(Topic, topic.id, mine.id)
        with pytest.raises(NotFound):
            access.in_program_or_404(Topic, 10**9, theirs.id)
