"""Tokenizer and recursive-descent parser of the condition language.

Turns a condition's text into the tree of nested lists described in
:mod:`questionnaires.expressions`, or raises :class:`ExpressionError` with a plain-English
message and the column of the problem.
"""

from __future__ import annotations

import json

from .expression_eval import MAX_SAFE_INTEGER
from .messages import N_, Text, plain

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
FUNCTIONS = {"count": 1, "answered": 1}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
# Bounds that keep both the recursive parser and the recursive evaluators far from the
# interpreter's recursion limit; real conditions are a handful of nodes deep.
MAX_NESTING = 32
MAX_DEPTH = 100

_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "(", ")", "[", "]", ",", ".")
_HINTS = {
    "=": N_("use '==' to compare"),
    "&": N_("use 'and'"),
    "|": N_("use 'or'"),
    "!": N_("use 'not' (or '!=')"),
    "/": N_("only + - * are available"),
}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


class ExpressionError(ValueError):
    """A syntax error in a condition, with a message and a 1-based column.

    ``message`` is a :class:`~.messages.Text`: English as a string, translatable by the app.
    """

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.message = message
        self.column = column

    @property
    def detail(self) -> Text:
        """The message without its mention of the column (shown apart by the checker)."""
        params = getattr(self.message, "params", None)
        if params is None or "at" not in params:
            return self.message if isinstance(self.message, Text) else plain(str(self.message))
        return Text(self.message.template, {**params, "at": ""})


def _at(column: int) -> dict:
    """The ``at`` parameter of a message: " at column 5"."""
    return {"at": N_(" at column %(column)s", column=column)}


def _paren(column: int) -> dict:
    """The ``at`` parameter of a message: " (column 5)"."""
    return {"at": N_(" (column %(column)s)", column=column)}


# --------------------------------------------------------------------------- tokenizer

def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ident_char(ch: str) -> bool:
    return _is_ident_start(ch) or ("0" <= ch <= "9")


def _tokenize(source: str) -> list[tuple[str, object, int]]:
    """Split ``source`` into (kind, value, column) tokens ending with an "end" token."""
    tokens: list[tuple[str, object, int]] = []
    i, n = 0, len(source)
    while i < n:
        ch, col = source[i], i + 1
        if ch.isspace():
            i += 1
        elif "0" <= ch <= "9":
            j = i
            while j < n and "0" <= source[j] <= "9":
                j += 1
            if j < n and source[j] == "." and j + 1 < n and "0" <= source[j + 1] <= "9":
                raise ExpressionError(
                    N_("decimal numbers are not supported%(at)s; use whole numbers",
                       **_paren(col)), col)
            if j < n and _is_ident_char(source[j]):
                while j < n and _is_ident_char(source[j]):
                    j += 1
                raise ExpressionError(N_("invalid number '%(number)s'%(at)s",
                                         number=source[i:j], **_at(col)), col)
            value = int(source[i:j])
            if value > MAX_SAFE_INTEGER:
                raise ExpressionError(
                    N_("the number%(at)s is too large (at most %(limit)s)",
                       **_at(col), limit=MAX_SAFE_INTEGER), col)
            tokens.append(("int", value, col))
            i = j
        elif _is_ident_start(ch):
            j = i
            while j < n and _is_ident_char(source[j]):
                j += 1
            word = source[i:j]
            tokens.append(("kw" if word in KEYWORDS else "name", word, col))
            i = j
        elif ch in "'\"":
            i = _read_string(source, i, tokens)
        else:
            sym = next((s for s in _SYMBOLS if source.startswith(s, i)), None)
            if sym is None:
                raise ExpressionError(_bad_character(ch, col), col)
            tokens.append(("op", sym, col))
            i += len(sym)
    tokens.append(("end", None, len(source.rstrip()) + 1))
    return tokens


def _read_string(source: str, start: int, tokens: list) -> int:
    """Read the string literal opening at ``start``; return the index after it."""
    quote, parts, i = source[start], [], start + 1
    while i < len(source):
        ch = source[i]
        if ch == quote:
            tokens.append(("str", "".join(parts), start + 1))
            return i + 1
        if ch == "\\":
            nxt = source[i + 1] if i + 1 < len(source) else ""
            if nxt not in _ESCAPES:
                raise ExpressionError(
N_("unknown escape '\\%(escape)s'%(at)s "
                       "(known: \\\\ \\' \\\" \\n \\t)", escape=nxt, **_at(i + 1)), i + 1)
            parts.append(_ESCAPES[nxt])
            i += 2
        else:
            parts.append(ch)
            i += 1
    raise ExpressionError(N_("unterminated string starting%(at)s", **_at(start + 1)),
                          start + 1)


def _bad_character(ch: str, col: int) -> Text:
    if ch in _HINTS:
        return N_("unexpected character '%(char)s'%(at)s: %(hint)s",
                  char=ch, **_at(col), hint=_HINTS[ch])
    if ch.isalpha():
        return N_("unexpected character '%(char)s'%(at)s: question ids use only "
                  "the letters A-Z, digits and '_' (put texts in quotes)", char=ch, **_at(col))
    return N_("unexpected character '%(char)s'%(at)s", char=ch, **_at(col))


# --------------------------------------------------------------------------- parser

def _describe(token: tuple[str, object, int]) -> Text:
    kind, value, _ = token
    if kind == "end":
        return N_("end of the expression")
    if kind == "str":
        return N_("text %(text)s", text=json.dumps(value, ensure_ascii=False))
    return plain("'%(token)s'", token=value)


class _Parser:
    """Recursive descent over the token list; one method per precedence level."""

    def __init__(self, source: str):
        self.tokens = _tokenize(source)
        self.pos = 0
        self.nesting = 0

    def peek(self, offset: int = 0) -> tuple[str, object, int]:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def at(self, kind: str, value: object = None) -> bool:
        tok = self.peek()
        return tok[0] == kind and (value is None or tok[1] == value)

    def take(self) -> tuple[str, object, int]:
        tok = self.peek()
        self.pos += 1
        return tok

    def fail(self, expected: Text) -> ExpressionError:
        tok = self.peek()
        if tok[0] == "end":
            return ExpressionError(N_("the expression ends too early%(at)s: "
                                      "expected %(expected)s", **_at(tok[2]), expected=expected), tok[2])
        return ExpressionError(N_("unexpected %(found)s%(at)s: expected %(expected)s",
                                  found=_describe(tok), **_at(tok[2]), expected=expected), tok[2])

    def enter(self, column: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError(
N_("the expression is nested too deeply%(at)s "
                   "(more than %(limit)s levels)", **_at(column), limit=MAX_NESTING), column)

    def parse(self) -> list:
        if self.at("end"):
            raise ExpressionError(N_("the expression is empty"), 1)
        tree = self.or_expr()
        if not self.at("end"):
            tok = self.peek()
            raise ExpressionError(
N_("unexpected %(found)s%(at)s: expected an operator or the end "
                   "of the expression", found=_describe(tok), **_at(tok[2])), tok[2])
        return tree

    def chain(self, keyword: str, operand) -> list:
        items = [operand()]
        while self.at("kw", keyword):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else [keyword, *items]

    def or_expr(self) -> list:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> list:
        return self.chain("and", self.not_expr)

    def not_expr(self) -> list:
        if self.at("kw", "not"):
            self.enter(self.take()[2])
            node = ["not", self.not_expr()]
            self.nesting -= 1
            return node
        return self.comparison()

    def comparison_operator(self) -> str | None:
        kind, value, _ = self.peek()
        if kind == "op" and value in COMPARISONS:
            return value
        if kind == "kw" and value == "in":
            return "in"
        if kind == "kw" and value == "not" and self.peek(1)[:2] == ("kw", "in"):
            return "not in"
        return None

    def comparison(self) -> list:
        left = self.additive()
        op = self.comparison_operator()
        if op is None:
            return left
        self.pos += 2 if op == "not in" else 1
        node = [op, left, self.additive()]
        if self.comparison_operator() is not None:
            col = self.peek()[2]
            raise ExpressionError(
N_("comparisons cannot be chained%(at)s: "
                   "join them with 'and', e.g. 1 <= x and x <= 5", **_paren(col)), col)
        return node

    def additive(self) -> list:
        node = self.multiplicative()
        while self.at("op", "+") or self.at("op", "-"):
            node = [self.take()[1], node, self.multiplicative()]
        return node

    def multiplicative(self) -> list:
        node = self.unary()
        while self.at("op", "*"):
            self.take()
            node = ["*", node, self.unary()]
        return node

    def unary(self) -> list:
        if not self.at("op", "-"):
            return self.primary()
        self.enter(self.take()[2])
        operand = self.unary()
        self.nesting -= 1
        if operand[0] == "lit" and type(operand[1]) is int:
            return ["lit", -operand[1]]  # fold so that `-3` reads as a plain literal
        return ["neg", operand]

    def primary(self) -> list:
        kind, value, col = self.peek()
        if kind in ("int", "str"):
            self.take()
            return ["lit", value]
        if kind == "kw" and value in ("true", "false", "null"):
            self.take()
            return ["lit", {"true": True, "false": False, "null": None}[value]]
        if kind == "op" and value == ".":
            self.take()
            return ["this"]
        if kind == "name":
            self.take()
            if self.at("op", "("):
                return self.call(value, col)
            return ["ref", value]
        if kind == "op" and value in ("(", "["):
            self.take()
            self.enter(col)
            if value == "(":
                node = self.or_expr()
                self.close(")", "(", col)
            else:
                node = ["list", *self.items("]", "[", col)]
            self.nesting -= 1
            return node
        raise self.fail(N_("a value"))

    def items(self, closer: str, opener: str, col: int) -> list:
        """Comma-separated expressions up to ``closer`` (a trailing comma is allowed)."""
        items = []
        while not self.at("op", closer):
            items.append(self.or_expr())
            if self.at("op", ","):
                self.take()
            elif not self.at("op", closer):
                break
        self.close(closer, opener, col)
        return items

    def close(self, closer: str, opener: str, col: int) -> None:
        if self.at("op", closer):
            self.take()
        elif self.at("end"):
            raise ExpressionError(N_("'%(opener)s'%(at)s is never closed",
                                     opener=opener, **_at(col)), col)
        else:
            raise self.fail(N_("',' or '%(closer)s' to close the '%(opener)s' at column %(column)s",
                               closer=closer, opener=opener, column=col)
                            if opener != "(" else N_("')' to close the '(' at column %(column)s",
                                                     column=col))

    def call(self, name: str, col: int) -> list:
        if name not in FUNCTIONS:
            known = ", ".join(f"{f}()" for f in sorted(FUNCTIONS))
            raise ExpressionError(
N_("unknown function '%(name)s'%(at)s (known functions: %(known)s)",
                   name=name, **_at(col), known=known), col)
        paren_col = self.take()[2]
        self.enter(paren_col)
        args = self.items(")", "(", paren_col)
        self.nesting -= 1
        wanted = FUNCTIONS[name]
        if len(args) != wanted:
            raise ExpressionError(
N_("%(name)s()%(at)s takes %(wanted)s argument, not %(given)s",
                   name=name, **_at(col), wanted=wanted, given=len(args)) if wanted == 1 else
                N_("%(name)s()%(at)s takes %(wanted)s arguments, not %(given)s",
                   name=name, **_at(col), wanted=wanted, given=len(args)), col)
        return [name, *args]


def _depth(tree: list) -> int:
    """Depth of ``tree``, computed without recursion (the tree may be a long chain)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if node[0] not in ("lit", "ref", "this"):
            stack.extend((child, depth + 1) for child in node[1:])
    return deepest


def parse_tree(source: str) -> list:
    """Parse ``source`` into a tree; raise :class:`ExpressionError` if invalid."""
    if not isinstance(source, str):
        raise ExpressionError(
N_("a condition must be text, not %(type)s", type=type(source).__name__), 1)
    tree = _Parser(source).parse()
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(
N_("the expression is too complex (nested more than %(limit)s levels deep)",
               limit=MAX_DEPTH), 1)
    return tree
