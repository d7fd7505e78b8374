"""Security headers on every response, set in one ``after_request`` hook.

The Content-Security-Policy allows scripts, styles and images from this site only (no
inline script, no inline style, no ``on*=`` handler: templates keep code in
``static/``), and no framing.  Officials' pages and every download are ``no-store``:
they hold survey results and may be opened on shared office computers.
"""

from flask import request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
NO_STORE_PREFIXES = ("/quan-ly/",)
DEFAULTS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"))


def set_security_headers(response):
    """Add the security headers to ``response`` (existing values are kept)."""
    headers = response.headers
    # One pass over the few headers there are, rather than a lookup per name: werkzeug's
    # lookups raise and catch a KeyError for each absent name.
    present = {name.lower() for name, _ in headers}
    for name, value in DEFAULTS:
        if name.lower() not in present:
            headers.add(name, value)
    attachment = ("content-disposition" in present
                  and headers["Content-Disposition"].startswith("attachment"))
    if attachment or request.path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    """Install the hook on ``app``."""
    app.after_request(set_security_headers)
