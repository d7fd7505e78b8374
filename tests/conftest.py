"""Shared fixtures: the app on each database backend, its clients, and model factories.

Every test that uses ``app`` runs twice, on SQLite and on PostgreSQL.  A database is
created once per backend and session; tables are emptied before each test.  When the
PostgreSQL server is unreachable its tests are skipped, except under ``CI=true`` where
they fail.
"""

import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from survey import create_app
from survey.extensions import db
from tests import factories

BACKENDS = ["sqlite", "postgresql"]
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin_engine():
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _pg_unreachable(error: Exception):
    message = f"PostgreSQL is not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {error}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the PostgreSQL tests", pytrace=False)
    pytest.skip(message)


class DatabaseFactory:
    """Creates empty databases of one backend and drops them at the end of the session."""

    def __init__(self, backend: str, tmp_path_factory):
        self.backend = backend
        self.tmp_path_factory = tmp_path_factory
        self.created: list[str] = []

    def __call__(self) -> str:
        """Return the URL of a new, empty database."""
        if self.backend == "sqlite":
            path = self.tmp_path_factory.mktemp("db") / "test.sqlite3"
            return f"sqlite:///{path}"
        name = f"sipas_test_{uuid.uuid4().hex[:12]}"
        engine = _pg_admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:  # noqa: BLE001  (any connection failure means "unreachable")
            _pg_unreachable(error)
        finally:
            engine.dispose()
        self.created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request):
    """The database backend of the current test: ``"sqlite"`` or ``"postgresql"``."""
    return request.param


@pytest.fixture(scope="session")
def fresh_database(db_backend, tmp_path_factory):
    """A callable returning the URL of a new empty database of the current backend."""
    factory = DatabaseFactory(db_backend, tmp_path_factory)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(fresh_database):
    """The URL of the session's test database of the current backend, with the schema."""
    url = fresh_database()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture
def app_config():
    """Extra configuration for ``app``; override this fixture in a module to change it."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    """The app on a database with the schema and empty tables."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Forms are tested without tokens; tests of CSRF itself turn it on in app_config.
        "WTF_CSRF_ENABLED": False,
        # Results show new responses at once (production trusts a data version a minute).
        "RESULTS_CACHE_FRESHNESS": 0,
        **app_config,
    }
    app = create_app(config)
    with app.app_context():
        factories.empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``'s commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_unit(app):
    """``make_unit(code=None, *, name=None, kind="commune", parent=None, name_en=None) -> Unit``."""
    return factories.UnitFactory(app)


@pytest.fixture
def make_point(app, make_unit):
    """``make_point(unit=None, *, code=None, name=None, active=True) -> ServicePoint``."""
    return factories.PointFactory(app, make_unit)


@pytest.fixture
def make_user(app):
    """``make_user(email=None, *, role="official", units=(), password=USER_PASSWORD,
    active=True, name="") -> User`` (``units``: the scope, as Unit objects)."""
    return factories.UserFactory(app)


@pytest.fixture
def sign_in_as(app, make_user):
    """``sign_in_as(role="official", units=(), client=None) -> client``: a new user of
    ``role`` signed in on ``client`` (default: a new test client of ``app``)."""

    def sign_in(role="official", units=(), client=None, **kwargs):
        user = make_user(role=role, units=units, **kwargs)
        client = client if client is not None else app.test_client()
        response = client.post("/quan-ly/dang-nhap", data={
            "email": user.email, "password": kwargs.get("password", factories.USER_PASSWORD)})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        client.user = user
        return client

    return sign_in


@pytest.fixture
def device_auth(app):
    """``device_auth(point)``: the ``Authorization`` header of a kiosk enrolled at ``point``."""
    def auth(point) -> dict:
        return {"Authorization": f"Device {factories.enrol_device(app, point)}"}
    return auth


@pytest.fixture
def make_field(app):
    """``make_field(code=None, *, name=None) -> ServiceField``."""
    return factories.FieldFactory(app)


@pytest.fixture
def make_wave(app, make_unit):
    """``make_wave(code=None, *, questionnaire="sipas", units=None, status="open", ...) -> Wave``.

    ``units`` default to a new province; ``questionnaire`` is a bundled name or a
    ``Questionnaire``; its version is registered.
    """
    return factories.WaveFactory(app, make_unit)


@pytest.fixture
def create_response(app, make_wave, make_point):
    """``create_response(wave=None, point=None, *, answers=None, **columns) -> Response``.

    Inserts directly (any wave status); ``answers`` default to one synthetic, valid answer
    set of the wave's questionnaire.
    """
    return factories.ResponseFactory(app, make_wave, make_point)


@pytest.fixture
def mini_link(make_wave, make_point):
    """A survey link ``(wave code, point code)`` of the small test questionnaire, which
    exercises every question type (no service fields exist)."""
    from tests.survey.public.helpers import mini_questionnaire

    wave = make_wave(questionnaire=mini_questionnaire())
    return wave.code, make_point(wave.units[0]).code


@pytest.fixture
def server(app):
    """The app served by a threaded werkzeug server on a free port of 127.0.0.1."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=10)
