"""Forms for curriculum authoring."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ModuleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    lesson_md = TextAreaField("Lesson (Markdown)", validators=[DataRequired(), Length(max=40_000)])
    pass_mark = IntegerField(
        "Pass mark (percent of questions right)", validators=[NumberRange(min=1, max=100)]
    )
    required = BooleanField("Required to take conversations")


class NewModuleForm(FlaskForm):
    title = StringField("Title of the new module", validators=[DataRequired(), Length(max=200)])
    lesson_md = TextAreaField("Lesson (Markdown)", validators=[Optional(), Length(max=40_000)])


class QuestionForm(FlaskForm):
    prompt = TextAreaField("Question", validators=[DataRequired(), Length(max=1000)])
    choices = TextAreaField("Choices, one per line", validators=[DataRequired(), Length(max=4000)])
    correct = IntegerField(
        "Number of the right choice (1 = first line)", validators=[NumberRange(min=1, max=10)]
    )
    explanation = TextAreaField(
        "The idea behind the answer (shown after the quiz, also after a wrong answer)",
        validators=[Length(max=1000)],
    )

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]


class PublishForm(FlaskForm):
    grace_days = IntegerField(
        "Grace period (days the previous pass still counts)",
        validators=[NumberRange(min=0, max=90)],
    )


class ConfirmForm(FlaskForm):
    """A button with a CSRF token."""
