"""Compress the report's PDF streams at zlib's default level instead of the highest.

pydyf, which writes WeasyPrint's PDFs, deflates every stream at level 9 and has no
setting for it (``pydyf.Stream.data``). On a report's content, fonts and object streams
level 9 costs three times level 6 for 2.5 % less (a commune's report: 21 ms against
7 ms; 75.9 KB against 77.8 KB, bench_bulk_reports.py), the levels above 6 searching
longer for matches that are hardly there. :func:`install` gives pydyf a view of zlib
whose levels are capped at :data:`LEVEL`; every other name is zlib's own, and the output
is ordinary Flate that every reader decodes. It is process-wide (``render.py`` installs
it on import): every PDF pydyf writes in the process gets it.
"""

from __future__ import annotations

import zlib

from .patching import Replacement

__all__ = ["LEVEL", "install", "installed", "uninstall"]

LEVEL = 6


class _CappedZlib:
    """zlib, with compression levels above :data:`LEVEL` lowered to it."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def _level(level: int) -> int:
        return LEVEL if level > LEVEL else level

    def compressobj(self, level: int = zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs):
        return zlib.compressobj(self._level(level), *args, **kwargs)

    def compress(self, data, /, level: int = zlib.Z_DEFAULT_COMPRESSION, **kwargs):
        return zlib.compress(data, self._level(level), **kwargs)


_REPLACEMENT = Replacement("zlib", ("pydyf",), _CappedZlib())
install, installed, uninstall = (_REPLACEMENT.install, _REPLACEMENT.installed,
                                 _REPLACEMENT.uninstall)
