"""The ``flask users`` commands: add, list, disable, reset-password; refusals write nothing."""

import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, User
from survey.services import accounts


@pytest.fixture
def units(make_unit):
    root = make_unit("CLI-T", kind="province")
    return root, make_unit("CLI-X", parent=root)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_add_prints_a_generated_password_that_signs_in(app, runner, units, client):
    result = runner.invoke(args=["users", "add", "Lan@Tinh.example", "--role", "official",
                                 "--unit", "CLI-X", "--unit", "CLI-T", "--name", "Trần Thị Lan"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown once\): (\S+)", result.output).group(1)
    assert len(password) >= 16
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.role, user.name) == ("lan@tinh.example", "official", "Trần Thị Lan")
        assert sorted(u.code for u in user.units) == ["CLI-T", "CLI-X"]
    response = client.post("/quan-ly/dang-nhap", data={"email": "lan@tinh.example", "password": password})
    assert response.status_code == 302


def test_add_reads_the_password_from_stdin(app, runner, client):
    result = runner.invoke(args=["users", "add", "m@tinh.example", "--role", "methodologist",
                                 "--password-stdin"], input="một mật khẩu dài\n")
    assert result.exit_code == 0, result.output
    assert "một mật khẩu dài" not in result.output and "Password" not in result.output
    response = client.post("/quan-ly/dang-nhap", data={"email": "m@tinh.example",
                                                       "password": "một mật khẩu dài"})
    assert response.status_code == 302


@pytest.mark.parametrize("args, message", [
    (["bad-email", "--role", "official", "--unit", "CLI-X"], "is not an email address"),
    (["a@tinh.example", "--role", "boss", "--unit", "CLI-X"], "There is no role “boss”"),
    (["a@tinh.example", "--role", "official", "--unit", "CLI-X", "--unit", "NOPE"],
     "There is no unit with the code “NOPE”"),
    (["a@tinh.example", "--role", "official"], "need at least one unit"),
    (["a@tinh.example", "--role", "administrator", "--unit", "CLI-X"], "give them no units"),
])
def test_add_refuses_bad_input_and_writes_nothing(app, runner, units, args, message):
    result = runner.invoke(args=["users", "add", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert _count(app, User) == 0
    assert _count(app, AuditEvent) == 0


def test_add_refuses_a_short_password_and_a_duplicate_email(app, runner, units):
    short = runner.invoke(args=["users", "add", "a@tinh.example", "--role", "methodologist",
                                "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "10 to 256 characters" in short.output
    assert runner.invoke(args=["users", "add", "a@tinh.example", "--role", "methodologist"]).exit_code == 0
    again = runner.invoke(args=["users", "add", "A@TINH.example", "--role", "methodologist"])
    assert again.exit_code != 0 and "already exists" in again.output
    assert _count(app, User) == 1


def test_list_disable_and_reset(app, runner, units, client):
    runner.invoke(args=["users", "add", "b@tinh.example", "--role", "desk_operator", "--unit", "CLI-X"])
    listing = runner.invoke(args=["users", "list"])
    assert listing.exit_code == 0
    assert re.search(r"b@tinh.example\tdesk_operator\tactive\tCLI-X", listing.output)

    reset = runner.invoke(args=["users", "reset-password", "B@tinh.example"])
    assert reset.exit_code == 0, reset.output
    link = re.search(r"(http://\S+/quan-ly/dat-lai-mat-khau/\S+)", reset.output).group(1)
    assert link.startswith(app.config["BASE_URL"])
    path = link[len(app.config["BASE_URL"]):]
    assert client.get(path).status_code == 200

    disabled = runner.invoke(args=["users", "disable", "b@tinh.example"])
    assert disabled.exit_code == 0 and "Disabled" in disabled.output
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    # The link of a disabled account does not work, and no new one is made.
    assert client.get(path).status_code == 404
    assert runner.invoke(args=["users", "reset-password", "b@tinh.example"]).exit_code != 0
    assert "already disabled" in runner.invoke(args=["users", "disable", "b@tinh.example"]).output


@pytest.mark.parametrize("command", ["disable", "reset-password"])
def test_unknown_email_is_refused(runner, command):
    result = runner.invoke(args=["users", command, "nobody@tinh.example"])
    assert result.exit_code != 0
    assert "There is no user with the email" in result.output


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://sipas.tinh.example/"}])
def test_the_base_url_comes_from_the_configuration(app, runner, units):
    runner.invoke(args=["users", "add", "c@tinh.example", "--role", "methodologist"])
    reset = runner.invoke(args=["users", "reset-password", "c@tinh.example"])
    assert "https://sipas.tinh.example/quan-ly/dat-lai-mat-khau/" in reset.output
    with app.app_context():
        assert accounts.find_user("C@TINH.EXAMPLE") is not None
