"""Problem messages that the layers above can show in any language.

A message is a :class:`Text`: a ``str`` holding the English text (so it prints, compares
and logs as before) that also keeps its template and parameters, e.g.
``N_("unknown key '%(key)s'", key="lable")``. The app translates the template with
gettext and fills in the parameters (:meth:`Text.translate`); parameters that are
themselves texts (a hint, a noun such as "question") are translated too, while ids,
sheet and column names stay as written. ``N_`` also marks the template for extraction
(``pybabel extract`` knows ``N_`` by default; ``babel.cfg`` lists this package).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["Text", "N_", "plain", "translate"]


class Text(str):
    """English text of a message, with the template and parameters it was made from."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, params: Mapping[str, object] | None = None) -> Text:
        params = dict(params or {})
        english = template % {k: str(v) if isinstance(v, Text) else v for k, v in params.items()} \
            if params else template
        obj = super().__new__(cls, english)
        obj.template, obj.params = template, params
        return obj

    def translate(self, gettext: Callable[[str], str]) -> str:
        """This message in the language of ``gettext`` (which takes a template)."""
        text = gettext(self.template)
        if not self.params:
            return text
        return text % {k: translate(v, gettext) for k, v in self.params.items()}

    def __reduce__(self):
        return (Text, (self.template, self.params))


def N_(template: str, **params: object) -> Text:  # noqa: N802 - the gettext marker's usual name
    """A message from an English ``template`` with ``%(name)s`` placeholders."""
    return Text(template, params)


def plain(template: str, **params: object) -> Text:
    """A message made only of parameters and punctuation (nothing to translate)."""
    return Text(template, params)


def translate(value: object, gettext: Callable[[str], str]) -> object:
    """``value`` translated when it is a :class:`Text`, else unchanged."""
    return value.translate(gettext) if isinstance(value, Text) else value
