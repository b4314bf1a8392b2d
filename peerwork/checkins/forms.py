"""Forms of the care pages: crisis plans and skill cards."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from peerwork.checkins import cards, plans


class PlanForm(FlaskForm):
    warning_signs = TextAreaField(
        plans.SECTIONS[0].label, validators=[Optional(), Length(max=plans.SECTION_MAX_CHARS)]
    )
    things_that_help = TextAreaField(
        plans.SECTIONS[1].label, validators=[Optional(), Length(max=plans.SECTION_MAX_CHARS)]
    )
    people_and_places = TextAreaField(
        plans.SECTIONS[2].label, validators=[Optional(), Length(max=plans.SECTION_MAX_CHARS)]
    )
    contacts = TextAreaField(
        plans.SECTIONS[3].label, validators=[Optional(), Length(max=plans.SECTION_MAX_CHARS)]
    )
    send_now = BooleanField("Text the plan to them now", default=True)

    def sections(self) -> dict[str, str]:
        """The plan's sections as typed, by key."""
        return {section.key: getattr(self, section.key).data or "" for section in plans.SECTIONS}


class SkillCardForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=cards.TITLE_MAX)])
    body = TextAreaField("Text the texter receives", validators=[DataRequired(), Length(max=400)])
