"""The pages' words for the kinds of change and for refusals (translated)."""

from flask_babel import gettext as _
from flask_babel import pgettext


def change_label(kind: str) -> str:
    """The kind of a change of :func:`questionnaires.diff.diff`, in the user's language."""
    return {
        "element_added": _("Part added"),
        "element_removed": _("Part removed"),
        "question_added": _("Question added"),
        "question_removed": _("Question removed"),
        "type_changed": _("Question type changed"),
        "choices_changed": _("Choices changed"),
        "reworded": _("Reworded"),
        "condition_changed": _("Condition changed"),
        "moved": _("Moved to another part"),
        "settings_changed": _("Limits changed"),
        "analysis_changed": _("Analysis changed"),
    }.get(kind, kind)


def field_label(field: str | None) -> str:
    """The field of a change (``label``, ``relevant``, ``choice 3``…) in the user's language."""
    if not field:
        return ""
    if field.startswith("choice "):
        return pgettext("change field", "choice %(value)s", value=field[len("choice "):])
    return {
        "label": pgettext("change field", "label"),
        "hint": pgettext("change field", "hint"),
        "explain": pgettext("change field", "explanation of terms"),
        "constraint_message": pgettext("change field", "message when the constraint fails"),
        "relevant": pgettext("change field", "condition for showing"),
        "constraint": pgettext("change field", "constraint"),
        "required": pgettext("change field", "required"),
        "min": pgettext("change field", "smallest value"),
        "max": pgettext("change field", "largest value"),
        "max_length": pgettext("change field", "longest answer"),
        "na": pgettext("change field", "“not applicable” option"),
        "min_choices": pgettext("change field", "fewest choices"),
        "max_choices": pgettext("change field", "most choices"),
        "element": pgettext("change field", "title or introduction of the part"),
        "element relevant": pgettext("change field", "condition for showing the part"),
        "criteria": pgettext("change field", "criteria and weights"),
        "indicator": pgettext("change field", "indicator"),
    }.get(field, field)


def change_line(change) -> str:
    """One change as a line of text: kind, id, field, and old -> new."""
    line = f"{change_label(change.kind)} {change.id}"
    if change.field:
        line += f" ({field_label(change.field)})"
    if change.old is not None or change.new is not None:
        line += f": {change.old if change.old is not None else '–'} -> {change.new if change.new is not None else '–'}"
    return line


def wave_error_message(reason: str, code: str) -> str:
    """Why a wave's version was not changed."""
    if reason == "has_responses":
        return _("Survey wave “%(code)s” already has responses: it keeps the version they answered.", code=code)
    if reason == "not_draft":
        return _("Only a draft survey wave can change its questionnaire; “%(code)s” is not a draft.", code=code)
    return _("Choose a published version.")
