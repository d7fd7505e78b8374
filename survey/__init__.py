"""The Flask application: ``create_app`` builds it (no database work happens here)."""

from flask import Flask

from . import config


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; ``test_config`` overrides every other setting."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    config.check_secret_key(app)
    from .cookie_session import CookieOnDemandSessionInterface

    app.session_interface = CookieOnDemandSessionInterface()
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy the client address (sign-in throttling and audit) is in
        # X-Forwarded-For; trust only as many hops as there are proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))

    from . import database
    from .extensions import babel, csrf, db, limiter, login_manager

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    from .i18n import select_locale

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    # Models must be imported so that their tables join the metadata.
    from . import models  # noqa: F401
    from . import admin, api, kiosk, methodology, officials, public

    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(kiosk.bp)
    app.register_blueprint(officials.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(methodology.bp)

    from . import assets, cli, errors, headers, jobs, ratelimits, security

    errors.init_app(app)
    ratelimits.init_app(app)
    security.init_app(app)
    headers.init_app(app)
    assets.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    return app
