"""How wide a label is in the report's fonts, from the fonts' own advance widths.

The charts place some things by the size of their text (the element chart's label column,
the legend, the scatter's labels), so they measure it with fontTools in the same font
files WeasyPrint embeds: the sum of the glyphs' advances, the way a browser measures a
run without kerning (kerning in Noto Sans moves a label by well under 1 %). A character
Noto Sans lacks is measured in Noto Sans Math, as the report's font stack sets it, and
one neither has counts as 0.6 em.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from importlib import resources

from fontTools.ttLib import TTFont

__all__ = ["width", "warm_up", "CAP_HEIGHT"]

_FILES = {False: "NotoSans-Regular.subset.ttf", True: "NotoSans-Bold.subset.ttf"}
_SYMBOLS = "NotoSansMath-Regular.subset.ttf"
_FALLBACK_EM = 0.6
# Noto Sans's capital height (OS/2 sCapHeight 714 of 1000 units), in em: what centres a
# line of text on a mark.
CAP_HEIGHT = 0.714
_lock = threading.Lock()


@lru_cache(maxsize=None)
def _advances(name: str) -> dict[int, float]:
    """Code point -> advance width in em, for one font file."""
    with _lock:
        with resources.as_file(resources.files(__package__).joinpath("fonts", name)) as path:
            font = TTFont(str(path), lazy=True)
            per_em = font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            advances = {code: metrics[glyph][0] / per_em
                        for code, glyph in font.getBestCmap().items()}
            font.close()
    return advances


def width(text: str, size: float, *, bold: bool = False) -> float:
    """The advance width of ``text`` set at ``size`` points, in points."""
    main, symbols = _advances(_FILES[bold]), _advances(_SYMBOLS)
    em = 0.0
    for ch in unicodedata.normalize("NFC", text):
        code = ord(ch)
        advance = main.get(code)
        if advance is None:
            advance = symbols.get(code)
        if advance is None:
            advance = 0.0 if unicodedata.combining(ch) else _FALLBACK_EM
        em += advance
    return em * size


def warm_up() -> None:
    """Read the three fonts' metrics now rather than in the first report."""
    for name in (*_FILES.values(), _SYMBOLS):
        _advances(name)
