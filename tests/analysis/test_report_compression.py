"""The report's PDF streams are deflated at zlib's level 6, not pydyf's 9."""

import io
import zlib

import pydyf
from pypdf import PdfReader

from analysis.report import compression, render  # noqa: F401  (render installs it)

# Like a page's content stream: text placements at varied positions.
WORDS = ["Th\u1ee7 t\u1ee5c", "h\u00e0nh ch\u00ednh", "89,65", "C\u00f4ng ch\u1ee9c", "\u2013"]
SAMPLE = "".join(f"BT /F1 9.5 Tf 1 0 0 -1 {i * 7919 % 1000 / 10} {i * 104729 % 997 / 10} Tm "
                 f"({WORDS[i * 31 % 5]}) Tj ET\n" for i in range(3000)).encode()


def test_pydyf_compresses_at_level_six_once_the_renderer_is_imported():
    assert isinstance(pydyf.zlib, compression._CappedZlib)
    obj = pydyf.zlib.compressobj(level=9)
    data = obj.compress(SAMPLE) + obj.flush()
    reference = zlib.compressobj(level=6)
    assert data == reference.compress(SAMPLE) + reference.flush()
    assert zlib.compress(SAMPLE, 9) != zlib.compress(SAMPLE, 6)      # so the check means it
    assert zlib.decompress(data) == SAMPLE
    assert pydyf.zlib.compress(SAMPLE) == zlib.compress(SAMPLE, 6)
    assert pydyf.zlib.compress(SAMPLE, 1) == zlib.compress(SAMPLE, 1)   # lower levels kept
    assert pydyf.zlib.decompress is zlib.decompress                    # the rest is zlib


def test_install_is_idempotent():
    capped = pydyf.zlib
    compression.install()
    assert pydyf.zlib is capped


def test_a_pdf_written_by_pydyf_reads_back():
    document = pydyf.PDF()
    stream = pydyf.Stream(compress=True)
    stream.begin_text()
    stream.set_font_size("F1", 12)
    stream.move_text_to(10, 10)
    stream.show_text_string("level six")
    stream.end_text()
    document.add_object(stream)
    page = pydyf.Dictionary({"Type": "/Page", "Parent": document.pages.reference,
                             "MediaBox": pydyf.Array([0, 0, 200, 200]),
                             "Contents": stream.reference,
                             "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary({
                                 "F1": pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1",
                                                         "BaseFont": "/Helvetica"})})})})
    document.add_page(page)
    out = io.BytesIO()
    document.write(out, version=b"1.7", compress=True)
    assert "level six" in PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
