"""Where a problem is (sheet, row, column) and the helpers reading cells of a sheet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .common import language_code, split_column
from ..messages import N_, Text, plain

__all__ = ["Import", "Place", "XLSFormError", "clean", "header_base", "texts", "typed_value"]


class XLSFormError(ValueError):
    """A workbook we refuse; ``problems`` lists every reason with its place."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Place:
    sheet: str
    row: int | None = None
    column: str | None = None

    def text(self) -> Text:
        """The place as a translatable message, e.g. "survey row 3, column type"."""
        if self.row is not None and self.column:
            return N_("%(sheet)s row %(row)s, column %(column)s",
                      sheet=self.sheet, row=self.row, column=self.column)
        if self.row is not None:
            return N_("%(sheet)s row %(row)s", sheet=self.sheet, row=self.row)
        if self.column:
            return N_("%(sheet)s, column %(column)s", sheet=self.sheet, column=self.column)
        # A msgid of a placeholder alone: Vietnamese says "trang survey" (sheet survey).
        return N_("%(sheet)s", sheet=self.sheet)

    def __str__(self) -> str:
        return str(self.text())


@dataclass
class Import:
    file: str
    problems: list[Text] = field(default_factory=list)
    default_lang: str = "vi"
    langs: list[str] = field(default_factory=list)
    rows_of: dict = field(default_factory=dict)      # question / element id -> survey row

    def report(self, place: Place, message: Text) -> None:
        self.problems.append(plain("%(file)s: %(place)s: %(message)s",
                                   file=self.file, place=place.text(), message=message))

    def lang(self, place: Place, name: str | None) -> str | None:
        code = self.default_lang if name is None else language_code(name)
        if code is None:
            self.report(place, N_("language '%(name)s' has no code: write it as 'Name (code)', "
                                  "e.g. label::Tiếng Việt (vi)", name=name))
        elif code not in self.langs:
            self.langs.append(code)
        return code


def clean(value) -> str:
    return "" if value is None else str(value).strip()


def header_base(header: str) -> tuple[str, str | None]:
    base, lang = split_column(header)
    if base.lower().startswith("bind::"):
        return base.lower(), None
    return base.lower().replace(" ", "_"), lang


def texts(imp: Import, row: dict, sheet: str, number: int, base: str) -> dict | None:
    out = {}
    for header, value in row.items():
        b, lang = header_base(header)
        if b == base and clean(value):
            code = imp.lang(Place(sheet, number, header), lang)
            if code:
                out[code] = clean(value)
    return out or None


def typed_value(text: str):
    return int(text) if re.fullmatch(r"-?[1-9]\d*|0", text) else text
