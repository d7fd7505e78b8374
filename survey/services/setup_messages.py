"""The words of the set-up imports: each problem code's message, in the current language.

Messages are looked up when they are shown (a page, the CLI with ``--lang``), so a problem
found once can be shown in Vietnamese and in English.
"""

from __future__ import annotations

from flask_babel import gettext as _

_MESSAGES = {
    "too_large": lambda p: _("The file is larger than %(limit)s. Split it or remove what is not needed.", **p),
    "unsupported_type": lambda p: _("“%(name)s” files cannot be read. Save the table as CSV (UTF-8) or as an Excel workbook (.xlsx).", **p),
    "not_utf8": lambda p: _("The file is not UTF-8 text (from this line on). In Excel choose “Save as” → “CSV UTF-8”, or save it as .xlsx."),
    "unreadable_csv": lambda p: _("The CSV file cannot be read here (%(detail)s).", **p),
    "unreadable_xlsx": lambda p: _("The file is not a readable Excel workbook (.xlsx)."),
    "empty_file": lambda p: _("The file is empty: it has no header row."),
    "no_rows": lambda p: _("The file has a header row but no data rows."),
    "too_many_rows": lambda p: _("The file has more than %(limit)s rows.", **p),
    "missing_column": lambda p: _("This column is missing. The columns are: %(expected)s.", **p),
    "unknown_column": lambda p: _("This column is not expected. The columns are: %(expected)s.", **p),
    "duplicate_column": lambda p: _("This column appears twice."),
    "extra_cells": lambda p: _("The row has values beyond its %(columns)s columns.", **p),
    "formula": lambda p: _("The cell holds a formula (or starts with =, +, - or @). Enter the value itself."),
    "error_cell": lambda p: _("The cell holds a spreadsheet error (such as #REF! or #N/A)."),
    "strange_cell": lambda p: _("The cell holds a value of an unexpected kind (such as TRUE/FALSE)."),
    "bad_characters": lambda p: _("The cell contains control characters or line breaks."),
    "required": lambda p: _("A value is required."),
    "too_long": lambda p: _("The value is longer than %(max)s characters.", **p),
    "bad_code": lambda p: _("“%(value)s” is not a valid code: use only letters, digits and - _ . (no spaces, no accents).", **p),
    "duplicate_code": lambda p: _("The code “%(code)s” already appears in row %(first)s.", **p),
    "unknown_parent": lambda p: _("There is no unit “%(code)s” in the file to be the parent.", **p),
    "second_root": lambda p: _("A second unit without a parent: the tree has one root (row %(first)s).", **p),
    "no_root": lambda p: _("No unit is without a parent: the tree needs one root (the province)."),
    "cycle": lambda p: _("These units are each other's parents in a cycle: %(path)s.", **p),
    "unknown_unit": lambda p: _("There is no unit with the code “%(code)s”. Import the units first.", **p),
    "retired_unit": lambda p: _("The unit “%(code)s” is retired.", **p),
    "unknown_field": lambda p: _("There is no service field with the code “%(code)s”. Import the service fields first.", **p),
    "not_integer": lambda p: _("“%(value)s” is not a whole number.", **p),
    "negative": lambda p: _("The number of dossiers cannot be negative (%(value)s).", **p),
    "too_big_number": lambda p: _("“%(value)s” is too large.", **p),
    "duplicate_cell": lambda p: _("The unit “%(unit)s” and field “%(field)s” already appear in row %(first)s.", **p),
    "unit_out_of_scope": lambda p: _("The unit “%(code)s” is not in the scope of wave “%(wave)s”.", **p),
    "missing_population": lambda p: _("The unit “%(unit)s” has responses in field “%(field)s” but no row here: every cell with responses needs its number of dossiers.", **p),
    "unknown_wave": lambda p: _("There is no survey wave with the code “%(code)s”.", **p),
    "wave_exists": lambda p: _("The survey wave “%(code)s” already exists.", **p),
    "bad_date": lambda p: _("“%(value)s” is not a date (write YYYY-MM-DD or DD/MM/YYYY).", **p),
    "dates_order": lambda p: _("The wave ends before it starts."),
    "unknown_questionnaire": lambda p: _("There is no questionnaire “%(value)s” (write its id, or id@version).", **p),
    "questionnaire_locked": lambda p: _("The wave already has responses, so its questionnaire cannot change."),
    "conflict": lambda p: _("The data changed while this file was being written (someone else imported at the same time). Nothing was written; please try again."),
    "no_units": lambda p: _("Name at least one unit (the root of the wave's scope)."),
}

_STATUS = {
    "unknown_wave": lambda p: _("There is no survey wave with the code “%(code)s”.", **p),
    "already_open": lambda p: _("The survey wave “%(code)s” is already open.", **p),
    "already_closed": lambda p: _("The survey wave “%(code)s” is already closed.", **p),
    "ended": lambda p: _("The survey wave “%(code)s” ended on %(end)s; change its end date before opening it.", **p),
}

_CHANGE_KINDS = {
    "created": lambda: _("new"),
    "updated": lambda: _("changed"),
    "unchanged": lambda: _("unchanged"),
    "retired": lambda: _("retired"),
    "removed": lambda: _("removed"),
}

_TABLES = {
    "units": lambda: _("Units"),
    "fields": lambda: _("Service fields"),
    "points": lambda: _("Service points"),
    "waves": lambda: _("Survey waves"),
    "populations": lambda: _("Populations (dossiers)"),
}


def problem_message(code: str, params: dict) -> str:
    """Return the message of problem ``code`` with ``params``, in the current language."""
    return _MESSAGES[code](params)


def status_message(code: str, params: dict) -> str:
    """Return why a wave cannot be opened or closed, in the current language."""
    return _STATUS[code](params)


def change_label(kind: str) -> str:
    """Return the word for a kind of change (new, changed, unchanged, retired, removed)."""
    return _CHANGE_KINDS[kind]()


def table_label(table: str) -> str:
    """Return the name of a set-up table in the current language."""
    return _TABLES[table]()
