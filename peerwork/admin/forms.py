"""Admin forms: short, labelled, with plain-language errors."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from peerwork import phones
from peerwork.hours import DAY_NAMES
from peerwork.languages import DEFAULT as DEFAULT_LANGUAGE
from peerwork.languages import FALLBACKS, LANGUAGES
from peerwork.models import CHECKIN_CHOICES, WAIT_ALERT_MINUTES, WEEKDAYS
from peerwork.sms import texts as sms_texts

CHECKIN_LABELS = {
    "none": "No check-in",
    "1d": "The next day",
    "3d": "After three days",
    "1w": "After a week",
}


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class PhoneNumber:
    """Validate a phone number and replace the field's data with its E.164 form."""

    def __call__(self, form, field):
        if not (field.data or "").strip():
            field.data = None
            return
        try:
            field.data = phones.normalize(field.data)
        except phones.InvalidPhoneNumber as exc:
            raise ValidationError(str(exc)) from exc


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NewProgramForm(FlaskForm):
    name = StringField(
        "Program name",
        validators=[DataRequired("Give the program a name."), Length(max=200)],
    )
    timezone = SelectField("Timezone", validators=[DataRequired()])


class QuickStartForm(FlaskForm):
    """Only what the admin alone knows; everything else starts from the defaults."""

    name = StringField(
        "Program name", validators=[DataRequired("Give the program a name."), Length(max=200)]
    )
    timezone = SelectField("Timezone", validators=[DataRequired()])
    sms_number = StringField(
        "SMS number employees will text",
        validators=[DataRequired("Enter the program's SMS number."), PhoneNumber()],
    )
    contact_name = StringField(
        "Name", validators=[DataRequired("Enter who gets crisis alerts."), Length(max=120)]
    )
    contact_phone = StringField(
        "Mobile number for alerts",
        validators=[DataRequired("Enter a mobile number for crisis alerts."), PhoneNumber()],
    )
    backup_name = StringField("Second person's name (optional)", validators=[Length(max=120)])
    backup_phone = StringField("Second person's mobile (optional)", validators=[PhoneNumber()])
    emails = TextAreaField("Volunteers' email addresses", validators=[Length(max=20000)])

    def validate_backup_name(self, field):
        if not (field.data or "").strip() and (self.backup_phone.data or "").strip():
            raise ValidationError("Enter the second person's name, or clear their number.")

    def validate_backup_phone(self, field):
        if (self.backup_name.data or "").strip() and not field.data and not field.errors:
            raise ValidationError("Enter the second person's mobile, or clear their name.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    name = StringField(
        "Program name", validators=[DataRequired("Give the program a name."), Length(max=200)]
    )
    sms_number = StringField("SMS number", validators=[PhoneNumber()])
    timezone = SelectField("Timezone", validators=[DataRequired()])
    offer_timeout_seconds = IntegerField(
        "Seconds a peer has to accept an offer",
        validators=[InputRequired("Enter a number."), NumberRange(15, 3600)],
    )
    wave_size = IntegerField(
        "Peers offered at once", validators=[InputRequired("Enter a number."), NumberRange(1, 100)]
    )
    max_waves = IntegerField(
        "Waves of offers before waiting",
        validators=[InputRequired("Enter a number."), NumberRange(1, 20)],
    )
    default_capacity = IntegerField(
        "Conversations a new peer takes at once",
        validators=[InputRequired("Enter a number."), NumberRange(1, 20)],
    )
    keep_requests_after_hours = BooleanField("Keep requests made after hours for opening time")
    # DataRequired, not InputRequired: a post from an older page without this field
    # keeps the stored value (the form is built from the program).
    wait_alert_minutes = IntegerField(
        "Minutes before a wait counts as long",
        validators=[DataRequired("Enter a number."), NumberRange(*WAIT_ALERT_MINUTES)],
    )
    checkin_default = SelectField(
        "Default check-in after a conversation",
        choices=choices((c, CHECKIN_LABELS[c]) for c in CHECKIN_CHOICES),
    )
    quiet_start = StringField("Quiet hours start", validators=[DataRequired()])
    quiet_end = StringField("Quiet hours end", validators=[DataRequired()])
    retention_days = IntegerField(
        "Days to keep message text",
        validators=[InputRequired("Enter a number."), NumberRange(1, 3650)],
    )
    # Saved as Program.languages (English is always offered, so it is not a choice).
    offered_languages = MultiCheckboxField(
        "Languages the line also offers",
        choices=choices((x.code, x.name) for x in LANGUAGES.values() if x.code != DEFAULT_LANGUAGE),
    )
    language_fallback = RadioField(
        "When no peer speaks the texter's language", choices=choices(FALLBACKS.items())
    )


def hours_form_class():
    """A form with open/start/end for each weekday, and closed dates."""

    class HoursForm(FlaskForm):
        closed_dates = TextAreaField("Closed days (one date a line, like 2026-12-25)")

    for day in WEEKDAYS:
        setattr(HoursForm, f"open_{day}", BooleanField(DAY_NAMES[day]))
        setattr(HoursForm, f"start_{day}", StringField(f"{DAY_NAMES[day]} opens"))
        setattr(HoursForm, f"end_{day}", StringField(f"{DAY_NAMES[day]} closes"))
    return HoursForm


TEXT_TITLES = {
    "welcome": "Welcome",
    "waiting": "While we find a peer",
    "still_waiting": "Still waiting",
    "help": "Reply to HELP",
    "closed_hours": "Outside hours",
    "paused": "Paused or closed",
    "crisis": "Crisis reply",
    "crisis_es": "Crisis reply in Spanish",
    "checkin": "Check-in",
}


def texts_form_class():
    """One text area per texter-facing text an admin may reword."""

    class TextsForm(FlaskForm):
        pass

    for key in sms_texts.EDITABLE:
        title = TEXT_TITLES.get(key) or key.replace("_", " ").capitalize()
        # default="": a field missing from the post reads as blank (back to the default).
        setattr(TextsForm, key, TextAreaField(title, default=""))
    return TextsForm


class TopicForm(FlaskForm):
    name = StringField(
        "Topic name", validators=[DataRequired("Give the topic a name."), Length(max=60)]
    )
    # A post without the field keeps the topic's stored list: show it as the text it was.
    keywords = StringField(
        "Keywords texters might use",
        validators=[Length(max=300)],
        filters=[lambda v: ", ".join(v) if isinstance(v, list | tuple) else v],
    )
    description = TextAreaField("Note for peers (optional)", validators=[Length(max=500)])


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the contact's name."),
                                           Length(max=120)])  # fmt: skip
    phone = StringField("Mobile number for alerts", validators=[PhoneNumber()])
    user_id = SelectField("Linked supervisor account", coerce=int, validate_choice=True)
    is_backup = BooleanField("Backup: alerted only when nobody acknowledges in time")


class ResourceForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the resource's name."), Length(max=120)]
    )
    description = TextAreaField("What it offers", validators=[Length(max=1000)])
    phone = StringField("Phone or text number", validators=[Length(max=40)])
    # Normalized (https:// added) and checked by admin.resources.normalize_url.
    url = StringField("Web address", validators=[Optional(), Length(max=300)])
    topic_ids = SelectMultipleField("Topics (none selected: every topic)", coerce=int)


class InviteForm(FlaskForm):
    emails = TextAreaField(
        "Email addresses",
        validators=[DataRequired("Enter at least one email address."), Length(max=20000)],
    )


class TestSmsForm(FlaskForm):
    contact_id = SelectField("Send to", coerce=int)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = SelectField("Action", validators=[Optional()])
    actor = SelectField("Who", coerce=int, validators=[Optional()])
    program = SelectField("Program", coerce=int, validators=[Optional()])
    since = DateField("From", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])
