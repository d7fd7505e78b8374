"""``survey.redirects.safe_next``: only local paths of this site, whatever the encoding."""

import pytest

from survey.redirects import safe_next

DEFAULT = "/default"


@pytest.mark.parametrize("target", [
    "/", "/s/2026/MH-P01-1", "/quan-ly/don-vi/TINH?wave=2026&field=DD",
    "/s/2026/đơn-vị", "/x?next=//evil.example", "/a%20b", "/quan-ly/#top",
    "/\u3000/evil",  # not whitespace to a URL parser: percent-encoded, stays a path
])
def test_local_paths_are_kept(target):
    assert safe_next(target, DEFAULT) == target


@pytest.mark.parametrize("target", [
    None, "", "evil.example", "s/2026",
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/%09/evil.example", "\t//evil.example", " /x",
    "/x\r\nSet-Cookie: a=b", "/x%0d%0aSet-Cookie:%20a=b", "/x\n", "/\x00", "/%00",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "https://evil.example/", "http:/evil",
    "data:text/html,x", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5Cevil.example",
    "/%5C%5Cevil.example", "%2f%2fevil.example", "/\x7f",
])
def test_foreign_or_odd_targets_give_the_default(target):
    assert safe_next(target, DEFAULT) == DEFAULT


def test_language_switch_uses_the_helper(client):
    for target in ("/%09/evil.example", "/%5Cevil", "//evil"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/"
    response = client.get("/lang/en", query_string={"next": "/s/a/b"})
    assert response.headers["Location"] == "/s/a/b"
