"""What the XLSForm reader and writer share: language columns, markers, the extra sheet."""

from __future__ import annotations

import re

# Our column for what XLSForm has no place for, read by us and passed through by pyxform
# (``bind::`` attributes end up on the XForm's bind, which ODK ignores).
MARK = "bind::sipas:"
# Declared in the settings sheet so that the XForm pyxform builds is well-formed XML.
NAMESPACES = 'sipas="urn:sipas:xlsform"'
MARK_KEYS = ("type", "min", "max", "max_length", "min_choices", "max_choices", "relevant",
             "constraint", "required")
# The extra sheet carrying the header texts and the analysis block (pyxform ignores it).
EXTRA_SHEET = "sipas"
# The explanation of a choice, per language: ``sipas_explain_vi``.  Not ``explain::…``,
# which pyxform would take for a translated column it does not know and fail on.
CHOICE_EXPLAIN = "sipas_explain_"
SCALE_LIST, SCALE_NA_LIST, YESNO_LIST = "sipas_scale", "sipas_scale_na", "sipas_yesno"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
# Language names XLSForm authors write without a code.
KNOWN_NAMES = {"tiếng việt": "vi", "vietnamese": "vi", "english": "en"}
_NAMED = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\)\s*$")


def language_column(base: str, lang: str) -> str:
    """``label::Tiếng Việt (vi)``: the column of ``base`` text in ``lang``."""
    return f"{base}::{LANGUAGE_NAMES.get(lang, lang)} ({lang})"


def language_code(name: str) -> str | None:
    """The code of an XLSForm language name ('English (en)', 'english'), or None."""
    m = _NAMED.match(name)
    if m:
        return m.group("code").lower()
    bare = name.strip().lower()
    if re.fullmatch(r"[a-z]{2,3}", bare):   # label::en, LABEL::EN
        return bare
    return KNOWN_NAMES.get(bare)


def split_column(header: str) -> tuple[str, str | None]:
    """``label::English (en)`` -> ('label', 'English (en)'); ``label`` -> ('label', None)."""
    for sep in ("::", ":"):
        if sep in header and not header.startswith("bind::"):
            base, _, lang = header.partition(sep)
            return base.strip().lower(), lang.strip()
    return header.strip(), None
