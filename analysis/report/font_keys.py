"""WeasyPrint's font cache keys, made once per distinct font.

WeasyPrint keeps the line height and baseline of each font (``strut``) and the size
ratios of ``ex``/``ch`` units in caches keyed by a string, ``_font_style_cache_key``
(``weasyprint/text/line_break.py``): the ``str()`` of a tuple of fourteen font properties
(family list, style, weight, variants, features, language...), and with the size and line
height for struts. A commune's report makes that string ~1,500 times, for a handful of
fonts. :func:`cache_key` keeps each string by the tuple of values it is made of, so the
string is the same one WeasyPrint makes and the caches see the same keys; values that
cannot be a key go to WeasyPrint's function. ``render.py`` installs it on import.
"""

from __future__ import annotations

from operator import itemgetter

from .patching import Replacement

__all__ = ["KEPT_LIMIT", "cache_key", "install", "installed", "uninstall"]

KEPT_LIMIT = 4_096

# The properties WeasyPrint 70's key is made of, in its order.
_FONT = itemgetter("font_family", "font_style", "font_stretch", "font_weight",
                   "font_variant_ligatures", "font_variant_position", "font_variant_caps",
                   "font_variant_numeric", "font_variant_alternates",
                   "font_variant_east_asian", "font_feature_settings",
                   "font_variation_settings", "font_language_override", "lang")
_kept: dict = {}


def cache_key(style, include_size=False) -> str:
    """``_font_style_cache_key(style, include_size)``, kept per distinct values."""
    values = _FONT(style)
    if include_size:
        values = (values, style["font_size"], style["line_height"])
    try:
        key = _kept.get(values)
    except TypeError:
        return _REPLACEMENT.original(style, include_size)
    if key is None:
        key = _REPLACEMENT.original(style, include_size)
        if len(_kept) >= KEPT_LIMIT:
            _kept.clear()
        _kept[values] = key
    return key


_REPLACEMENT = Replacement("_font_style_cache_key", ("weasyprint.text.line_break",), cache_key)
install, installed = _REPLACEMENT.install, _REPLACEMENT.installed


def uninstall() -> None:
    """Give WeasyPrint its own function back, and drop the kept keys."""
    _REPLACEMENT.uninstall()
    _kept.clear()
