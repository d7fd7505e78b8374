"""Between XLSForm's XPath expressions and our condition language, both ways.

Only what both sides mean the same way is translated; anything else raises
:class:`XPathError` naming it, and the importer refuses the cell.

========================  ==========================  ==================================
XLSForm (ODK XPath)        ours                        note
========================  ==========================  ==================================
``${q}``                   ``q``
``.``                      ``.``
``'x'``, ``"x"``, ``3``    ``'x'``, ``3``              a literal compared with a yes/no
                                                       question: ``'true'`` is ``true``
``true()``, ``false()``    ``true``, ``false``
``=  !=  <  <=  >  >=``    ``==  !=  <  <=  >  >=``
``+  -  *``                ``+  -  *``                 ``div`` and ``mod`` are refused
``and  or  not(e)``        ``and  or  not e``
``selected(${q}, 'a')``    ``'a' in q`` (multiple)     ``q == 'a'`` for a single choice
``count-selected(${q})``   ``count(q)``
``${q} != ''``             ``answered(q)``             ``${q} = ''``: ``not answered(q)``
========================  ==========================  ==================================
"""

from __future__ import annotations

import re

from ..expression_parser import parse_tree
from ..messages import N_, plain

__all__ = ["XPathError", "from_xpath", "to_xpath", "to_source"]


class XPathError(ValueError):
    """An expression one side cannot carry, with the reason."""


_TOKEN = re.compile(r"""\s*(?:
    (?P<ref>\$\{\s*(?P<refname>[^}\s]*)\s*\})
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-:]*)
)""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise XPathError(N_("cannot read %(text)s", text=repr(text[pos:pos + 10])))
        pos = m.end()
        kind = m.lastgroup if m.lastgroup != "refname" else "ref"
        if m.group("ref"):
            out.append(("ref", m.group("refname")))
        elif m.group("num"):
            out.append(("num", m.group("num")))
        elif m.group("str"):
            out.append(("str", m.group("str")[1:-1]))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        else:
            out.append((kind, m.group("name")))
    out.append(("end", ""))
    return out


class _Reader:
    """A recursive-descent reader of the XPath subset into our expression trees."""

    def __init__(self, text: str, types: dict[str, str], this: str | None):
        self.toks, self.pos, self.types, self.this = _tokens(text), 0, types, this

    def peek(self, k: int = 0):
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def take(self):
        tok = self.peek()
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok != ("op", value):
            raise XPathError(N_("expected '%(expected)s' but found %(found)s", expected=value,
                                found=repr(tok[1]) if tok[1] else plain("'%(word)s'", word=N_("the end"))))

    def parse(self) -> list:
        tree = self.or_()
        if self.peek()[0] != "end":
            raise XPathError(N_("unexpected %(found)s", found=repr(self.peek()[1])))
        return tree

    def chain(self, word: str, operand) -> list:
        items = [operand()]
        while self.peek() == ("name", word):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else [word, *items]

    def or_(self):
        return self.chain("or", self.and_)

    def and_(self):
        return self.chain("and", self.comparison)

    def comparison(self):
        left = self.additive()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.additive()
            return self.compare("==" if tok[1] == "=" else tok[1], left, right)
        return left

    def qtype(self, node):
        if node[0] == "ref":
            return self.types.get(node[1])
        if node[0] == "this":
            return self.types.get(self.this)
        return None

    def compare(self, op, left, right):
        # ${q} = '' is how XLSForm asks whether a question was answered.
        for a, b in ((left, right), (right, left)):
            if b == ["lit", ""] and op in ("==", "!="):
                return ["answered", a] if op == "!=" else ["not", ["answered", a]]
        left, right = self.typed(left, right), self.typed(right, left)
        if "multiple" in (self.qtype(left), self.qtype(right)):
            raise XPathError(N_("compare a select_multiple answer with selected(), not with "
                                "a comparison"))
        return [op, left, right]

    def typed(self, node, other):
        """A literal compared with a question takes the type of that question's values."""
        if node[0] != "lit" or not isinstance(node[1], str):
            return node
        kind = self.qtype(other)
        if kind == "yesno" and node[1] in ("true", "false"):
            return ["lit", node[1] == "true"]
        if kind in ("scale", "integer") and re.fullmatch(r"-?\d+", node[1]):
            return ["lit", int(node[1])]
        if kind in ("single", "multiple") and re.fullmatch(r"\d+", node[1]):
            values = self.types.get(("values", other[1] if other[0] == "ref" else self.this))
            if values is not None and int(node[1]) in values:
                return ["lit", int(node[1])]
        return node

    def additive(self):
        node = self.multiplicative()
        while self.peek() in (("op", "+"), ("op", "-")):
            node = [self.take()[1], node, self.multiplicative()]
        return node

    def multiplicative(self):
        node = self.unary()
        while True:
            tok = self.peek()
            if tok == ("op", "*"):
                self.take()
                node = ["*", node, self.unary()]
            elif tok in (("name", "div"), ("name", "mod")):
                raise XPathError(N_("'%(operator)s' is not available (only + - * on whole numbers)",
                                    operator=tok[1]))
            else:
                return node

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return ["neg", self.unary()]
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if kind == "ref":
            if value not in self.types:
                raise XPathError(N_("${%(name)s} is not a question of this form", name=value))
            return ["ref", value]
        if kind == "num":
            if "." in value:
                raise XPathError(N_("decimal number %(number)s (only whole numbers)", number=value))
            return ["lit", int(value)]
        if kind == "str":
            return ["lit", value]
        if (kind, value) == ("op", "."):
            return ["this"]
        if (kind, value) == ("op", "("):
            node = self.or_()
            self.expect(")")
            return node
        if kind == "name" and self.peek() == ("op", "("):
            return self.call(value)
        raise XPathError(N_("unexpected %(found)s", found=repr(value) if value
                            else plain("'%(word)s'", word=N_("end of the expression"))))

    def call(self, name: str):
        self.expect("(")
        args = []
        if self.peek() != ("op", ")"):
            args.append(self.or_())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.or_())
        self.expect(")")
        if name in ("true", "false") and not args:
            return ["lit", name == "true"]
        if name == "not" and len(args) == 1:
            return ["not", args[0]]
        if name == "selected" and len(args) == 2:
            target, value = args
            value = self.typed(value, target)
            if self.qtype(target) == "multiple":
                return ["in", value, target]
            return ["==", target, value]
        if name == "count-selected" and len(args) == 1:
            return ["count", args[0]]
        raise XPathError(N_("the function %(name)s() is not available", name=name))


def from_xpath(text: str, types: dict, this: str | None = None) -> str:
    """Translate an XLSForm expression into our condition language (source text).

    ``types`` maps question names to our type names (and ``("values", name)`` to the
    integer choice values of a question); ``this`` is the question ``.`` stands for.
    """
    tree = _Reader(text, types, this).parse()
    source = to_source(tree)
    parse_tree(source)   # our parser has the last word (e.g. integer bounds)
    return source


# -- our trees back to text ------------------------------------------------------------------
_LEVEL = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
          "in": 4, "not in": 4, "+": 5, "-": 5, "*": 6, "neg": 7}


def _level(node) -> int:
    return _LEVEL.get(node[0], 8)


def to_source(node) -> str:
    """Our condition language's text of a tree (the inverse of ``parse_tree``)."""
    kind = node[0]

    def sub(child, level, right=False):
        text = to_source(child)
        inner = _level(child)
        return f"({text})" if inner < level or (right and inner == level and inner >= 4) else text

    if kind == "lit":
        v = node[1]
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if kind == "list":
        return "[" + ", ".join(to_source(x) for x in node[1:]) + "]"
    if kind == "ref":
        return node[1]
    if kind == "this":
        return "."
    if kind == "neg":
        return "-" + sub(node[1], 7)
    if kind in ("and", "or"):
        return f" {kind} ".join(sub(x, _LEVEL[kind] + 1) for x in node[1:])
    if kind == "not":
        return "not " + sub(node[1], 3)
    if kind in ("count", "answered"):
        return f"{kind}({to_source(node[1])})"
    level = _LEVEL[kind]
    return f"{sub(node[1], level)} {kind} {sub(node[2], level, right=True)}"


# -- our trees to XPath -------------------------------------------------------------------------
def _xliteral(value) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "'" not in value:
            return f"'{value}'"
        if '"' not in value:
            return f'"{value}"'
    raise XPathError(N_("the literal %(value)s has no XPath form", value=repr(value)))


def to_xpath(tree, types: dict, this: str | None = None) -> str:
    """An XLSForm (ODK XPath) expression meaning the same as our tree."""

    def qtype(node):
        return types.get(node[1]) if node[0] == "ref" else types.get(this) if node[0] == "this" else None

    def lit(node, other):
        value = node[1]
        if qtype(other) == "yesno" and isinstance(value, bool):
            return "'true'" if value else "'false'"
        return _xliteral(value)

    def x(node, level=0) -> str:
        text = _x(node)
        return f"({text})" if _level(node) < level else text

    def operand(node, other):
        return lit(node, other) if node[0] == "lit" else x(node, 5)

    def _x(node) -> str:
        kind = node[0]
        if kind == "lit":
            if node[1] is None:
                raise XPathError(N_("null is only available as '== null' or '!= null'"))
            return _xliteral(node[1])
        if kind == "ref":
            return "${" + node[1] + "}"
        if kind == "this":
            return "."
        if kind == "neg":
            return "-" + x(node[1], 7)
        if kind in ("and", "or"):
            return f" {kind} ".join(x(n, _LEVEL[kind] + 1) for n in node[1:])
        if kind == "not":
            return f"not({_x(node[1])})"
        if kind == "count":
            return f"count-selected({_x(node[1])})"
        if kind == "answered":
            return f"{_x(node[1])} != ''"
        if kind in ("in", "not in"):
            item, group = node[1], node[2]
            if group[0] == "list":
                text = " or ".join(f"{x(item, 5)} = {operand(v, item)}" for v in group[1:])
                text = text or "false()"
            elif qtype(group) == "multiple":
                text = f"selected({x(group)}, {operand(item, group)})"
            else:
                raise XPathError(N_("'in' needs a list or a multiple-choice question"))
            return f"not({text})" if kind == "not in" else (f"({text})" if " or " in text else text)
        left, right = node[1], node[2]
        if kind in ("==", "!=") and ["lit", None] in (left, right):
            other = right if left == ["lit", None] else left
            return f"{x(other, 5)} {'=' if kind == '==' else '!='} ''"
        if kind in ("+", "-", "*"):
            level = _LEVEL[kind]
            return f"{x(left, level)} {kind} {x(right, level + 1)}"
        op = "=" if kind == "==" else kind
        return f"{operand(left, right)} {op} {operand(right, left)}"

    return _x(tree)
