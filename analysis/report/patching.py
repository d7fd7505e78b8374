"""One of WeasyPrint's (or pydyf's) functions replaced by ours, and given back.

The report renderer puts its own versions in place of a few of WeasyPrint's functions
(``used_lengths``, ``style_values``, ``text_layouts``, ``font_keys``, ``normal_flow``,
``teardown``, ``svg_text``) and of pydyf's zlib (``compression``); the faster equivalents
give the same output, byte for byte, which their tests check by rendering with and
without them. :class:`Replacement`
does the replacing for all of them: it finds WeasyPrint's function on the object that
defines it, keeps it as :attr:`Replacement.original` (the replacement calls it for what it
does not handle), and sets the replacement on every object that holds that same function
under that name (a module that imported it by name holds its own reference).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

__all__ = ["Replacement"]


class Replacement:
    """``replacement`` in place of ``name`` on ``holders``: dotted module names or
    ``module:Class`` paths; the first one defines the original."""

    def __init__(self, name: str, holders: tuple[str, ...], replacement: Callable):
        self.name = name
        self.holders = holders
        self.replacement = replacement
        self.original: Callable | None = None
        self._lock = threading.Lock()

    def _objects(self) -> list:
        found = []
        for path in self.holders:
            module, _, attribute = path.partition(":")
            try:
                holder = importlib.import_module(module)
            except ImportError:
                continue
            if attribute:
                holder = getattr(holder, attribute, None)
            if holder is not None:
                found.append(holder)
        return found

    def _current(self, holders: list):
        return self._held(holders[0]) if holders else None

    def _held(self, holder):
        # As the holder itself holds it (a class's classmethod object, not a bound method).
        return vars(holder).get(self.name)

    def installed(self) -> bool:
        """Whether the replacement is in place where the original is defined."""
        return self._current(self._objects()) is self.replacement

    def install(self) -> bool:
        """Put the replacement in place (idempotent); False, changing nothing, if the
        defining object has no such function."""
        with self._lock:
            holders = self._objects()
            current = self._current(holders)
            if current is None:
                return False
            if current is not self.replacement:
                self.original = current
                for holder in holders:
                    if self._held(holder) is current:
                        setattr(holder, self.name, self.replacement)
            return True

    def uninstall(self) -> None:
        """Give WeasyPrint its own function back (for tests and benchmarks)."""
        with self._lock:
            if self.original is None:
                return
            for holder in self._objects():
                if self._held(holder) is self.replacement:
                    setattr(holder, self.name, self.original)
