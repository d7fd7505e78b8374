"""Reading questionnaire definitions from YAML, keeping the line of every value.

PyYAML is used at the node level (``compose``) so that every problem found later by
:mod:`questionnaires.validation` can name the line it is on. Two deliberate departures
from plain ``yaml.safe_load``:

* only ``true``/``false`` are booleans (YAML 1.2), so ``en: Yes`` or a choice value ``no``
  stay text instead of silently becoming ``True``/``False``;
* duplicate keys in a mapping are reported instead of the last one silently winning.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .messages import N_, Text, plain
from .model import Questionnaire

BUNDLED_DIR = Path(__file__).parent
# Uploaded definitions are untrusted: a few aliases can expand into billions of nodes.
MAX_NODES = 200_000
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Problem:
    """One problem in a definition: where it is and what is wrong.

    ``str()`` gives it in English; ``message`` is a :class:`~.messages.Text` whose
    ``template`` and ``params`` let the app show it in the user's language
    (:meth:`translate`).
    """

    file: str
    line: int | None
    field: str
    message: str

    @property
    def place(self) -> str:
        """File, line and field, e.g. ``sipas.yaml:12: elements[access].title``."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}" if self.field else where

    @property
    def template(self) -> str:
        """The message's English template (its gettext msgid)."""
        return getattr(self.message, "template", self.message)

    @property
    def params(self) -> dict:
        """The message's parameters."""
        return dict(getattr(self.message, "params", {}))

    def translate(self, gettext) -> str:
        """The problem with its message in the language of ``gettext``."""
        message = self.message.translate(gettext) if isinstance(self.message, Text) else self.message
        return f"{self.place}: {message}"

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class DefinitionError(ValueError):
    """A definition could not be loaded; ``.problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# PyYAML's usual complaints, so that they can be translated; any other is quoted as it is.
_YAML_PROBLEMS = [
    (re.compile(r"^expected (?P<first>'[^']*') or (?P<second>'[^']*'), but (?:got|found) (?P<found>.+)$"),
     lambda m: N_("expected %(first)s or %(second)s, but found %(found)s", **m.groupdict())),
    (re.compile(r"^expected (?P<expected>.+), but (?:got|found) (?P<found>.+)$"),
     lambda m: N_("expected %(expected)s, but found %(found)s", **m.groupdict())),
    (re.compile(r"^mapping values are not allowed here$"),
     lambda m: N_("a ':' is not allowed here (put a text containing ': ' in quotes)")),
    (re.compile(r"^found character '(?P<char>.*)' that cannot start any token$"),
     lambda m: N_("the character '%(char)s' cannot start a value (indent with spaces, not tabs)",
                  **m.groupdict())),
    (re.compile(r"^found undefined alias '(?P<alias>.*)'$"),
     lambda m: N_("undefined alias '%(alias)s'", **m.groupdict())),
    (re.compile(r"^found unexpected end of stream$"),
     lambda m: N_("the file ends inside a quoted text")),
    (re.compile(r"^could not find expected '(?P<char>.*)'$"),
     lambda m: N_("'%(char)s' is missing", **m.groupdict())),
]


def _yaml_problem(what: str) -> Text:
    """PyYAML's description of a syntax error as a translatable message."""
    for pattern, message in _YAML_PROBLEMS:
        m = pattern.match(what)
        if m:
            return message(m)
    return plain("%(error)s", error=what)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class Document:
    """Plain Python data from a YAML file plus the line of each value.

    Paths are tuples of mapping keys and list indices, e.g. ``("elements", 0, "id")``.
    ``lines`` gives the line of the value at a path, ``key_lines`` the line of the key that
    introduces it, and ``raw`` the literal text of scalar values (used for versions and
    texts, where ``2017.10`` must not become the number 2017.1).
    """

    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    key_lines: dict[tuple, int] = field(default_factory=dict)
    raw: dict[tuple, str] = field(default_factory=dict)
    problems: list[tuple[tuple, int, str]] = field(default_factory=list)

    def line(self, path: tuple) -> int | None:
        """Line of the value at ``path``, else of its nearest enclosing value."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class _TooBig(Exception):
    pass


def _convert(loader: _Loader, node: yaml.Node, path: tuple, doc: Document, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (dict, list)):
                doc.problems.append((path, key_node.start_mark.line + 1, N_("keys must be plain text")))
                continue
            key = str(key)
            if key in result:
                first = doc.key_lines[path + (key,)]
                doc.problems.append((path + (key,), key_node.start_mark.line + 1,
                                     N_("duplicate key '%(key)s' (first on line %(first)s)", key=key, first=first)))
                continue
            doc.key_lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _convert(loader, value_node, path + (key,), doc, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, path + (i,), doc, budget) for i, item in enumerate(node.value)]
    if node.style is None and node.tag != "tag:yaml.org,2002:null":
        doc.raw[path] = node.value
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text into a :class:`Document`; raise DefinitionError on syntax errors."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise DefinitionError([Problem(file, None, "", N_("the file is larger than %(limit)s bytes", limit=MAX_BYTES))])
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            # PyYAML's own wording ("found undefined alias") is quoted as it is.
            what = exc.problem or exc.context or "invalid YAML"
            message = (N_("YAML syntax error at column %(column)s: %(error)s", column=mark.column + 1,
                          error=_yaml_problem(what)) if mark
                       else N_("YAML syntax error: %(error)s", error=_yaml_problem(what)))
            raise DefinitionError([Problem(file, line, "", message)]) from None
        except yaml.YAMLError as exc:
            raise DefinitionError([Problem(file, None, "", N_("YAML error: %(error)s", error=str(exc)))]) from None
        if node is None:
            raise DefinitionError([Problem(file, None, "", N_("the file is empty"))])
        doc = Document(data=None)
        try:
            doc.data = _convert(loader, node, (), doc, [MAX_NODES])
        except _TooBig:
            raise DefinitionError([Problem(file, None, "", N_(
                "the file has too many values (are aliases expanding into a huge tree?)"))]) from None
        except yaml.YAMLError as exc:  # e.g. a bad !!binary or a tag PyYAML's safe mode refuses
            mark = getattr(exc, "problem_mark", None)
            raise DefinitionError([Problem(file, mark.line + 1 if mark else None, "",
                                           N_("YAML error: %(error)s",
                                              error=str(getattr(exc, 'problem', exc))))]) from None
        return doc
    finally:
        loader.dispose()


def load_definition(source: str | os.PathLike, *, text: str | None = None) -> Questionnaire:
    """Load and validate a definition, raising DefinitionError with every problem found.

    Parameters
    ----------
    source : str or os.PathLike
        The file to read; when ``text`` is given, only the name used in problems.
    text : str, optional
        The YAML text itself (e.g. an upload), instead of reading ``source``.

    Returns
    -------
    Questionnaire
    """
    # Imported here: the validation modules import Problem and Document from this one.
    from .validation import Checker
    from .validation_form import check_definition

    file = os.fspath(source)
    if text is None:
        data = Path(file).read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DefinitionError([Problem(file, None, "", N_(
                "the file is not UTF-8 text (bad byte at position %(position)s)", position=exc.start))]) from None
    checker = Checker(parse_yaml(text, file), file)
    canonical = check_definition(checker)
    if checker.problems or canonical is None:
        raise DefinitionError(sorted(checker.problems, key=lambda p: p.line or 0))
    return Questionnaire.from_dict(canonical)


def bundled_names() -> list[str]:
    """Names of the definitions shipped in the package, e.g. ['desk', 'sipas']."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))


def load_bundled(name: str) -> Questionnaire:
    """Load a bundled definition by name, e.g. ``load_bundled("sipas")``."""
    if name not in bundled_names():
        raise KeyError(f"no bundled questionnaire {name!r}; available: {bundled_names()}")
    return load_definition(BUNDLED_DIR / f"{name}.yaml")
