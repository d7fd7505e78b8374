"""The pages' words for the kinds of change and for refusals (translated)."""

from flask_babel import gettext as _


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


def wave_error_message(reason: str, code: str) -> str:
    """Why a wave's version was not changed."""
    if reason == "has_responses":
        return _("Survey wave “%(code)s” already has responses: it keeps the version they answered.", code=code)
    if reason == "not_draft":
        return _("Only a draft survey wave can change its questionnaire; “%(code)s” is not a draft.", code=code)
    return _("Choose a published version.")
