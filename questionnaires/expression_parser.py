"""Tokenizer and recursive-descent parser of the condition language.

Turns a condition's text into the tree of nested lists described in
:mod:`questionnaires.expressions`, or raises :class:`ExpressionError` with a plain-English
message and the column of the problem.
"""

from __future__ import annotations

import json

from .expression_eval import MAX_SAFE_INTEGER

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
FUNCTIONS = {"count": 1, "answered": 1}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
# Bounds that keep both the recursive parser and the recursive evaluators far from the
# interpreter's recursion limit; real conditions are a handful of nodes deep.
MAX_NESTING = 32
MAX_DEPTH = 100

_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "(", ")", "[", "]", ",", ".")
_HINTS = {
    "=": "use '==' to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' (or '!=')",
    "/": "only + - * are available",
}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


class ExpressionError(ValueError):
    """A syntax error in a condition, with a plain-English message and a 1-based column."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.message = message
        self.column = column


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
                    f"decimal numbers are not supported (column {col}); use whole numbers", col)
            if j < n and _is_ident_char(source[j]):
                while j < n and _is_ident_char(source[j]):
                    j += 1
                raise ExpressionError(f"invalid number '{source[i:j]}' at column {col}", col)
            value = int(source[i:j])
            if value > MAX_SAFE_INTEGER:
                raise ExpressionError(
                    f"the number at column {col} is too large (at most {MAX_SAFE_INTEGER})", col)
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
                    f"unknown escape '\\{nxt}' at column {i + 1} "
                    "(known: \\\\ \\' \\\" \\n \\t)", i + 1)
            parts.append(_ESCAPES[nxt])
            i += 2
        else:
            parts.append(ch)
            i += 1
    raise ExpressionError(f"unterminated string starting at column {start + 1}", start + 1)


def _bad_character(ch: str, col: int) -> str:
    message = f"unexpected character '{ch}' at column {col}"
    if ch in _HINTS:
        return f"{message}: {_HINTS[ch]}"
    if ch.isalpha():
        return (f"{message}: question ids use only the letters A-Z, digits and '_' "
                "(put texts in quotes)")
    return message


# --------------------------------------------------------------------------- parser

def _describe(token: tuple[str, object, int]) -> str:
    kind, value, _ = token
    if kind == "end":
        return "end of the expression"
    if kind == "str":
        return f"text {json.dumps(value, ensure_ascii=False)}"
    return f"'{value}'"


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

    def fail(self, expected: str) -> ExpressionError:
        tok = self.peek()
        if tok[0] == "end":
            return ExpressionError(
                f"the expression ends too early at column {tok[2]}: expected {expected}", tok[2])
        return ExpressionError(
            f"unexpected {_describe(tok)} at column {tok[2]}: expected {expected}", tok[2])

    def enter(self, column: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError(
                f"the expression is nested too deeply at column {column} "
                f"(more than {MAX_NESTING} levels)", column)

    def parse(self) -> list:
        if self.at("end"):
            raise ExpressionError("the expression is empty", 1)
        tree = self.or_expr()
        if not self.at("end"):
            tok = self.peek()
            raise ExpressionError(
                f"unexpected {_describe(tok)} at column {tok[2]}: "
                "expected an operator or the end of the expression", tok[2])
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
                f"comparisons cannot be chained (column {col}): "
                "join them with 'and', e.g. 1 <= x and x <= 5", col)
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
        raise self.fail("a value")

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
            raise ExpressionError(f"'{opener}' at column {col} is never closed", col)
        else:
            raise self.fail(f"',' or '{closer}' to close the '{opener}' at column {col}"
                            if opener != "(" else f"')' to close the '(' at column {col}")

    def call(self, name: str, col: int) -> list:
        if name not in FUNCTIONS:
            known = ", ".join(f"{f}()" for f in sorted(FUNCTIONS))
            raise ExpressionError(
                f"unknown function '{name}' at column {col} (known functions: {known})", col)
        paren_col = self.take()[2]
        self.enter(paren_col)
        args = self.items(")", "(", paren_col)
        self.nesting -= 1
        wanted = FUNCTIONS[name]
        if len(args) != wanted:
            raise ExpressionError(
                f"{name}() at column {col} takes {wanted} argument"
                f"{'s' if wanted != 1 else ''}, not {len(args)}", col)
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
            f"a condition must be text, not {type(source).__name__}", 1)
    tree = _Parser(source).parse()
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(
            f"the expression is too complex (nested more than {MAX_DEPTH} levels deep)", 1)
    return tree
