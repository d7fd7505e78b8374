"""The one guard against open redirects: ``next`` parameters may only name a path here."""

import re
from urllib.parse import unquote, urlsplit

# Browsers drop tabs and line breaks from URLs and read "\" as "/", so "/\tevil", "/\evil"
# and "//evil" all leave the site; control characters and spaces have no place in a path
# we generate either.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
# Once decoded, an encoded space ("%20") is only a space; the rest stays refused.
_UNSAFE_DECODED = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a local path on this site, else ``default``.

    A local path starts with one "/" followed by something other than "/" or "\\", has no
    scheme or host, and holds no whitespace, control character or backslash — also once
    percent-decoded, because some servers and proxies decode before routing.
    """
    if not target or not isinstance(target, str):
        return default
    for form, unsafe in ((target, _UNSAFE), (unquote(target), _UNSAFE_DECODED)):
        if unsafe.search(form) or not form.startswith("/") or form.startswith("//"):
            return default
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return default
    return target
