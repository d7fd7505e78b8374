"""Set up WeasyPrint's Pango layouts from a shared context and font description.

Every text WeasyPrint measures or draws gets a ``Layout`` (``weasyprint/text/
line_break.py``), and ``Layout.setup`` makes each one a Pango context of its own (font
map, base direction, language), a new font description from the style (family, style,
stretch, weight, size, variant) and then the Pango layout. A commune's report sets up
some 3,000 layouts, for a handful of distinct contexts and fonts.

:func:`setup` is the same method with the context kept per font configuration, base
direction and language, and the font description kept per font; the Pango layout itself
is new each time, as before (``pango_layout_new`` takes its own reference to the context,
and ``pango_layout_set_font_description`` copies the description). Layouts whose style
WeasyPrint sets up with more (a ``text-decoration`` line, whose font metrics it reads, or
a ``font-language-override``) go to WeasyPrint's method, as do fonts whose description
cannot be a key. A Pango context must not be shared across threads: the report renderer
gives each thread its own font configuration (``render._styles``), so contexts are kept per
font configuration. The PDF is the same, byte for byte
(tests/analysis/test_report_text_layouts.py). ``render.py`` installs it on import.
"""

from __future__ import annotations

import threading
from operator import itemgetter

from weasyprint.text.constants import PANGO_DIRECTION
from weasyprint.text.ffi import ffi, gobject, pango, unicode_to_char_p
from weasyprint.text.fonts import font_features, get_font_description

from .patching import Replacement

__all__ = ["KEPT_LIMIT", "install", "installed", "setup", "uninstall"]

# Contexts and font descriptions kept; a report needs a handful. When full, the caches
# start again (Python's references are dropped, Pango's objects freed by their owners).
KEPT_LIMIT = 256

_FONT = itemgetter("font_family", "font_style", "font_stretch", "font_weight", "font_size",
                   "font_variant_caps", "font_variation_settings")
_contexts: dict = {}
_descriptions: dict = {}
_lock = threading.Lock()


def _context(style):
    """The Pango context for this style's font configuration, direction and language,
    with its language, as ``(context, language)``."""
    config = style.font_config
    key = (id(config), style["direction"], style["lang"])
    kept = _contexts.get(key)
    if kept is not None and kept[0] is config:
        return kept[1], kept[2]
    context = ffi.gc(pango.pango_font_map_create_context(config.font_map),
                     gobject.g_object_unref)
    pango.pango_context_set_round_glyph_positions(context, False)
    pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
    if style["lang"]:
        lang_p, _ = unicode_to_char_p(style["lang"])
        language = pango.pango_language_from_string(lang_p)
        pango.pango_context_set_language(context, language)
    else:
        language = pango.pango_language_get_default()
    with _lock:
        if len(_contexts) >= KEPT_LIMIT:
            _contexts.clear()
        _contexts[key] = (config, context, language)     # the config kept alive with it
    return context, language


def _description(style):
    key = _FONT(style)
    try:
        description = _descriptions.get(key)
    except TypeError:                        # a value that cannot be a key: no keeping
        return get_font_description(style)
    if description is None:
        description = get_font_description(style)
        with _lock:
            if len(_descriptions) >= KEPT_LIMIT:
                _descriptions.clear()
            _descriptions[key] = description
    return description


def setup(self, style):
    """``Layout.setup``, from a kept Pango context and font description."""
    if style["text_decoration_line"] != "none" or style["font_language_override"] != "normal":
        return _REPLACEMENT.original(self, style)
    self.style = style
    self.first_line_direction = 0
    context, self.language = _context(style)
    self.layout = ffi.gc(pango.pango_layout_new(context), gobject.g_object_unref)
    pango.pango_layout_set_auto_dir(self.layout, False)
    pango.pango_layout_set_font_description(self.layout, _description(style))
    self.ascent = self.underline_position = self.strikethrough_position = None
    # From here on as WeasyPrint 70 does it.
    features = font_features(
        style["font_kerning"], style["font_variant_ligatures"],
        style["font_variant_position"], style["font_variant_caps"],
        style["font_variant_numeric"], style["font_variant_alternates"],
        style["font_variant_east_asian"], style["font_feature_settings"])
    if features:
        features = ",".join(f"{key} {value}" for key, value in features.items()).encode()
        attr = style.font_config.font_features.setdefault(
            features, pango.pango_attr_font_features_new(features))
        attr_list = pango.pango_attr_list_new()
        pango.pango_attr_list_insert(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)
    return None


_REPLACEMENT = Replacement("setup", ("weasyprint.text.line_break:Layout",), setup)
install, installed = _REPLACEMENT.install, _REPLACEMENT.installed


def uninstall() -> None:
    """Give WeasyPrint its own method back, and drop what was kept."""
    _REPLACEMENT.uninstall()
    with _lock:
        _contexts.clear()
        _descriptions.clear()
