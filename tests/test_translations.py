"""The gettext catalogues are complete, compiled and in step with the code.

To update them after changing texts in code or templates::

    .venv/bin/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
    (babel.cfg covers survey/ and questionnaires/; N_() marks a problem template there)
    .venv/bin/pybabel update -i translations/messages.pot -d translations
    (translate every new entry in vi, copy msgid to msgstr in en, remove "fuzzy")
    .venv/bin/pybabel compile -d translations
"""

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ["vi", "en"]


def load_po(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def entries(catalog) -> dict:
    """Return {msgid: msgstr} of a catalogue without its header entry."""
    return {m.id: m.string for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogue template extracted afresh from the code and templates."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-k", "_l", "-o", str(out), str(ROOT)])
    return load_po(out)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_fully_translated(lang):
    catalog = load_po(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", lang)
    messages = [m for m in catalog if m.id]
    assert messages, f"the {lang} catalogue is empty"
    untranslated = [m.id for m in messages if not m.string]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang):
    catalog = load_po(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", lang)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_vietnamese_is_really_translated():
    # Guards against English copied into the Vietnamese catalogue.
    catalog = load_po(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "vi")
    same = [m.id for m in catalog if m.id and m.string == m.id]
    assert same == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang, tmp_path):
    po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run pybabel compile -d translations"
    fresh = tmp_path / "messages.mo"
    with fresh.open("wb") as f:
        write_mo(f, load_po(po_path, lang))
    with fresh.open("rb") as f:
        expected = entries(read_mo(f))
    with mo_path.open("rb") as f:
        actual = entries(read_mo(f))
    assert actual == expected, "the .mo file is stale: run pybabel compile -d translations"


def test_template_has_every_message_used_in_code(extracted):
    template = entries(load_po(TRANSLATIONS / "messages.pot"))
    missing = sorted(set(entries(extracted)) - set(template))
    assert missing == [], "re-extract translations/messages.pot"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_every_message_of_the_template(lang):
    template = entries(load_po(TRANSLATIONS / "messages.pot"))
    catalog = entries(load_po(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", lang))
    assert sorted(set(template) - set(catalog)) == []


def test_the_checks_would_notice_a_missing_message(extracted, tmp_path):
    # The extraction really sees the code: a known message is in it.
    assert "Part %(n)s of %(total)s" in entries(extracted)
    assert "Please answer this question." in entries(extracted)
    # The questionnaire layer's problems (marked N_(), listed in babel.cfg) are extracted too.
    assert "unknown key '%(key)s'" in entries(extracted)
