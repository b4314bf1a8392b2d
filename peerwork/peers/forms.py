"""Forms of the volunteer workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from peerwork.conversations import MAX_REPLY_CHARS
from peerwork.hours import DAY_NAMES
from peerwork.languages import LANGUAGES
from peerwork.matching.eligibility import ANY_TOPIC_LABEL
from peerwork.models import CHECKIN_CHOICES, WEEKDAYS

OUTCOMES = (
    ("listened", "They felt heard"),
    ("skills", "We worked on a coping skill"),
    ("resources", "I shared a resource"),
    ("plan", "We worked on a crisis plan or roadmap"),
    ("escalated", "I brought in a supervisor"),
    ("cut_short", "It ended before we got far"),
)
CHECKIN_LABELS = {
    "none": _l("No check-in"),
    "1d": _l("In 1 day"),
    "3d": _l("In 3 days"),
    "1w": _l("In 1 week"),
}


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects, not tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    alias = StringField(
        "Alias (the name texters see)", validators=[DataRequired(), Length(min=2, max=30)]
    )
    topics = MultiCheckboxField("Topics you feel able to support", coerce=int)
    any_topic = BooleanField(ANY_TOPIC_LABEL)
    capacity = IntegerField(
        "How many conversations can you hold at once?",
        validators=[InputRequired(), NumberRange(min=1, max=20)],
    )
    alert_phone = TelField("Your phone for text alerts (optional)", validators=[Optional()])
    sms_alerts = BooleanField("Text me when a new offer or message arrives")
    languages = MultiCheckboxField(
        "Languages you can hold a conversation in",
        choices=choices((lang.code, lang.native) for lang in LANGUAGES.values()),
    )
    locale = SelectField(
        "Language of these pages",
        choices=choices(
            [("", "As my browser asks"), *((lang.code, lang.native) for lang in LANGUAGES.values())]
        ),
        # Checked by save_profile: an unknown value (or none) follows the browser.
        validate_choice=False,
    )


for _day in WEEKDAYS:
    setattr(ProfileForm, f"{_day}_on", BooleanField(DAY_NAMES[_day]))
    setattr(
        ProfileForm,
        f"{_day}_start",
        StringField(f"{DAY_NAMES[_day]} from", default="09:00", render_kw={"type": "time"}),
    )
    setattr(
        ProfileForm,
        f"{_day}_end",
        StringField(f"{DAY_NAMES[_day]} until", default="17:00", render_kw={"type": "time"}),
    )


class AvailableForm(FlaskForm):
    available = StringField()  # "1" switches on, anything else off


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=MAX_REPLY_CHARS)])


class FlagForm(FlaskForm):
    reason = StringField(
        _l("What do you need help with? (no message text, please)"),
        validators=[DataRequired(), Length(max=300)],
    )


class WrapUpForm(FlaskForm):
    topic_id = SelectField("Topic of the conversation", coerce=int)
    outcome = RadioField("How did it go?", choices=choices(OUTCOMES), validators=[InputRequired()])
    checkin_choice = RadioField(
        "Check in with the texter",
        choices=choices((c, CHECKIN_LABELS[c]) for c in CHECKIN_CHOICES),
        validators=[InputRequired()],
    )


class ConfirmForm(FlaskForm):
    """A button with a CSRF token."""


class QuizForm(FlaskForm):
    """The CSRF token and the signed draw; the answers are read through the draw."""

    draw = HiddenField(validators=[DataRequired()])


class OfferToPeerForm(FlaskForm):
    """A supervisor's choice of peer for a waiting texter (choices set per request)."""

    # Whether the peer is still free is the domain's to say, with a clear message.
    peer_profile_id = SelectField(
        "Offer to", coerce=int, validators=[InputRequired()], validate_choice=False
    )


class NoteToPeerForm(FlaskForm):
    """A supervisor's private note to the peer on a conversation: never texted."""

    body = TextAreaField(
        "Note to the peer (the texter never sees it)",
        validators=[DataRequired(message="Write a note for the peer first."), Length(max=1000)],
    )
