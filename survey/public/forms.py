"""WTForms forms built from a questionnaire element, one field per question.

The forms render the inputs and carry the CSRF token; they do not validate answers —
``questionnaires.check_answers`` does, so the web survey and the JSON API agree.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (HiddenField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from .flow import STATE_FIELD, UNKNOWN_FIELD

# Form attributes are prefixed: a question called "data", "errors" or "meta" must not
# shadow the form's own attributes. The HTML name stays the question id.
FIELD_PREFIX = "q__"


def field_key(question_id: str) -> str:
    """Return the form attribute holding the field of a question."""
    return FIELD_PREFIX + question_id


class SurveyPageForm(FlaskForm):
    """Base of every page form: the signed state travels with the answers."""

    survey_state = HiddenField(name=STATE_FIELD)


def _options(question, text) -> list[SelectChoice]:
    return [SelectChoice(o.value, text(o.label)) for o in question.kind.options(question)]


# The web layer's side of the registry: a type's ``field`` names the WTForms field.
FIELD_BUILDERS = {
    "radio": lambda q, label, text: RadioField(
        label, name=q.id, choices=_options(q, text), validate_choice=False),
    "checkboxes": lambda q, label, text: SelectMultipleField(
        label, name=q.id, choices=_options(q, text), validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()),
    "number": lambda q, label, text: StringField(
        label, name=q.id, widget=NumberInput(min=q.min, max=q.max),
        render_kw={"inputmode": "numeric"}),
    "textarea": lambda q, label, text: TextAreaField(
        label, name=q.id, render_kw={"maxlength": q.max_length, "rows": 4}),
}


def _field_for(question, text):
    """Return an unbound WTForms field rendering ``question``, or None for a note."""
    kind = question.kind.field
    return None if kind is None else FIELD_BUILDERS[kind](question, text(question.label), text)


def element_form(element, text, values: dict, state_token: str) -> SurveyPageForm:
    """Return the form of one element, prefilled with ``values`` (answers by question id).

    ``text`` picks the respondent's language from a definition's text dict.
    """
    form_class = type(f"Form_{element.id}", (SurveyPageForm,), {})
    for question in element.questions:
        field = _field_for(question, text)
        if field is not None:
            setattr(form_class, field_key(question.id), field)
    data = {field_key(q.id): q.kind.to_form(values.get(q.id)) for q in element.questions}
    data["survey_state"] = state_token
    # formdata=None: what is shown comes from the answers we pass, never re-read raw.
    return form_class(formdata=None, data=data)


def field_form(service_fields, lang: str, chosen: str | None,
               state_token: str) -> SurveyPageForm:
    """Return the form asking which service field (lĩnh vực) the procedure belonged to."""
    choices = [SelectChoice("", str(_l("— Choose a field —")))]
    choices += [SelectChoice(f.code, (f.name_en or f.name) if lang == "en" else f.name)
                for f in service_fields]
    choices.append(SelectChoice(UNKNOWN_FIELD, str(_l("I do not know / other"))))
    form_class = type("FieldForm", (SurveyPageForm,), {
        "field": SelectField(_l("Which field did your procedure belong to?"),
                             choices=choices, validate_choice=False)})
    return form_class(formdata=None, data={"field": chosen or "", "survey_state": state_token})
