"""Flask's signed-cookie session, made only when a request brings a session cookie.

Flask's ``SecureCookieSessionInterface.open_session`` builds its signer (an
itsdangerous serializer with its key derivation) on every request before it looks for
the cookie.  Most requests here have none — every API submission, a citizen's first
page — and get an empty session either way; this interface gives it to them without
building the signer.  A request with a cookie goes through Flask's own code unchanged.
"""

from flask.sessions import SecureCookieSessionInterface


class CookieOnDemandSessionInterface(SecureCookieSessionInterface):
    """``SecureCookieSessionInterface`` that skips the signer when there is no cookie."""

    def open_session(self, app, request):
        # Flask answers None (a null session) without a secret key: left to Flask.
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
