"""Versions of the bundled desk questionnaire, edited as a methodologist would."""

import re
from pathlib import Path

import questionnaires

DESK = (Path(questionnaires.__file__).parent / "desk.yaml").read_text(encoding="utf-8")
TRIPS_EN = "How many trips did you have to make to get this application done?"
TRIPS_VI = "Ông/Bà đã phải đi lại bao nhiêu lần để giải quyết hồ sơ này?"
TRIPS_VI_NEW = "Ông/Bà đã đến bao nhiêu lần cho hồ sơ này?"


def desk(version="2026.1", *, reword=False, codes=False, rename=False, broken=False) -> str:
    """The desk definition under ``version``: reworded, with changed choice codes of a
    reused id (``trips``), the same change under a new id, or with a wrong type."""
    text, n = re.subn(r'^version: "[^"]*"$', f'version: "{version}"', DESK, count=1, flags=re.M)
    assert n == 1
    if reword:
        text = text.replace(TRIPS_EN, "How many times did you come for this application?")
        text = text.replace(TRIPS_VI, TRIPS_VI_NEW)
    if codes or rename:
        text = text.replace("      - value: 2\n            label:\n              vi: 2 lần",
                            "      - value: 22\n            label:\n              vi: 2 lần")
        assert "value: 22" in text
    if rename:
        text = text.replace("- id: trips\n", "- id: trips_v2\n").replace(
            'when: "trips == 3"', 'when: "trips_v2 == 3"').replace(
            'among: "answered(trips)"', 'among: "answered(trips_v2)"')
    if broken:
        text = text.replace("      - id: staff_polite\n        type: scale",
                            "      - id: staff_polite\n        type: scael")
    return text


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1 if needle in text.splitlines() else \
        next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def broken_line() -> int:
    """The line of the wrong type in ``desk(broken=True)``."""
    return line_of(desk(broken=True), "type: scael")
