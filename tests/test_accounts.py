"""Accounts: ``evidence users`` (hashes, prompts, disable, passwd), the service's sign-in
rules, roles, the wrong-password throttle, migration 0011, and ``serve``'s refusal to
listen beyond this machine without accounts. SQLite and PostgreSQL where the db is involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from evidence.cli.main import cli
from evidence.domain.vocab import ACTIONS, ROLES, role_can
from evidence.services import accounts
from evidence.store.db import Database, current_revision, upgrade
from evidence.web.auth import Identity
from evidence.web.throttle import ADDRESS_TRIES, BASE_DELAY, NAME_TRIES, LoginThrottle

PASSWORD = "correct horse battery"
OTHER = "a different passphrase"


def users(url: str, *args: str, stdin: str | None = None) -> Result:
    env = {"EVIDENCE_DATABASE_URL": url}
    return CliRunner().invoke(cli, ["users", *args], env=env, input=stdin)


def add(url: str, name: str, role: str = "reviewer", password: str = PASSWORD) -> Result:
    return users(url, "add", name, "--role", role, "--password-stdin", stdin=password + "\n")


def stored_rows(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM users ORDER BY id"))]
    engine.dispose()
    return rows


def sign_in(url: str, name: str, password: str) -> accounts.AccountInfo | None:
    with Database(url, create=False).session() as session:
        return accounts.authenticate(session, name, password)


# --- evidence users ----------------------------------------------------------------------


def test_users_add_stores_an_argon2_hash_never_the_password(database_url: str) -> None:
    done = add(database_url, "ann", "admin")
    assert done.exit_code == 0, done.output
    assert "added account 'ann' (admin)" in done.stderr and done.stdout == ""
    (row,) = stored_rows(database_url)
    assert row["name"] == "ann" and row["role"] == "admin" and not row["disabled"]
    assert row["password_hash"].startswith("$argon2id$")
    assert all(PASSWORD not in str(value) for value in row.values())
    assert PASSWORD not in done.output
    assert sign_in(database_url, "ann", PASSWORD) is not None
    assert sign_in(database_url, "ann", PASSWORD + "x") is None
    listed = users(database_url, "list", "--json")
    assert listed.exit_code == 0
    assert '"name": "ann"' in listed.stdout and "argon2" not in listed.stdout
    plain = users(database_url, "list")
    assert plain.stdout.startswith("ann\tadmin\tenabled\tpassword set ")


def test_users_add_prompts_twice_without_echo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    typed = f"{PASSWORD}\n{OTHER}\n{PASSWORD}\n{PASSWORD}\n"  # a mismatch, then a match
    done = users(url, "add", "bob", stdin=typed)
    assert done.exit_code == 0, done.output
    assert "Repeat the password" in done.stderr and "do not match" in done.stderr
    assert PASSWORD not in done.output and OTHER not in done.output
    found = sign_in(url, "bob", PASSWORD)
    assert found is not None and found.role == "reviewer"


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["add", "ann", "--password-stdin"], "short\n", "at least 10 characters"),
        (["add", "ann", "--password-stdin"], "\n", "no password on stdin"),
        (["add", " ann", "--password-stdin"], PASSWORD + "\n", "not a valid account name"),
        (["add", "a\tb", "--password-stdin"], PASSWORD + "\n", "not a valid account name"),
        (["add", "x" * 201, "--password-stdin"], PASSWORD + "\n", "not a valid account name"),
        (["add", "ann", "--role", "owner", "--password-stdin"], PASSWORD + "\n", "owner"),
    ],
)
def test_users_add_refuses_bad_input_in_one_line(
    tmp_path: Path, args: list[str], stdin: str, says: str
) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    done = users(url, *args, stdin=stdin)
    assert done.exit_code == 2, done.output
    last = done.stderr.strip().splitlines()[-1]  # click's usage errors add the usage above
    assert last.startswith("Error: ") and says in last
    assert "Traceback" not in done.output


def test_names_are_unique_and_unknown_names_are_named(database_url: str) -> None:
    assert add(database_url, "ann").exit_code == 0
    again = add(database_url, "ann", password=OTHER)
    assert again.exit_code == 2 and "exists already" in again.stderr
    missing = users(database_url, "disable", "carl")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "Error: unknown account 'carl' (known: ann)"
    assert users(database_url, "passwd", "carl", "--password-stdin", stdin=OTHER).exit_code == 2


def test_a_taken_or_unknown_name_is_said_before_the_password_is_asked(database_url: str) -> None:
    assert add(database_url, "ann").exit_code == 0
    for args in (("add", "ann"), ("add", " bob"), ("passwd", "carl")):
        done = users(database_url, *args, stdin="")  # nobody at the keyboard
        assert done.exit_code == 2, (args, done.output)
        assert "Password" not in done.stderr and done.stderr.startswith("Error: "), done.stderr


def test_disable_and_passwd_end_sessions_and_change_sign_in(database_url: str) -> None:
    assert add(database_url, "ann").exit_code == 0
    first = sign_in(database_url, "ann", PASSWORD)
    assert first is not None

    def session_ok(generation: int) -> bool:
        with Database(database_url, create=False).session() as session:
            return accounts.session_account(session, first.id, generation) is not None

    assert session_ok(first.generation)
    changed = users(database_url, "passwd", "ann", "--password-stdin", stdin=OTHER + "\n")
    assert changed.exit_code == 0, changed.output
    assert not session_ok(first.generation)  # the old session ends
    assert sign_in(database_url, "ann", PASSWORD) is None
    second = sign_in(database_url, "ann", OTHER)
    assert second is not None and session_ok(second.generation)
    disabled = users(database_url, "disable", "ann")
    assert disabled.exit_code == 0 and disabled.stderr == "disabled account 'ann'\n"
    assert not session_ok(second.generation)
    assert sign_in(database_url, "ann", OTHER) is None  # disabled: the right password fails
    assert "ann\treviewer\tdisabled" in users(database_url, "list").stdout
    with Database(database_url, create=False).session() as session:
        assert not accounts.team_mode(session)  # no enabled account left
    enabled = users(database_url, "enable", "ann")
    assert enabled.exit_code == 0 and enabled.stderr == "enabled account 'ann'\n"
    assert sign_in(database_url, "ann", OTHER) is not None


def test_sign_in_refuses_unknown_overlong_and_hostile_values(database_url: str) -> None:
    assert add(database_url, "ann").exit_code == 0
    for name, password in [
        ("nobody", PASSWORD),
        ("ann' OR '1'='1", PASSWORD),
        ("ann", "' OR '1'='1' --"),
        ("x" * 10_000, PASSWORD),
        ("ann", "x" * 10_000),
        ("ann\x00", PASSWORD),
        ("", ""),
    ]:
        assert sign_in(database_url, name, password) is None
    assert sign_in(database_url, "ann", PASSWORD) is not None


# --- roles --------------------------------------------------------------------------------


def test_roles_and_what_each_may_do() -> None:
    table = {role: {a for a in ACTIONS if role_can(role, a)} for role in ROLES}
    assert table == {
        "reviewer": {"judge"},
        "editor": {"judge", "resolve", "manage-claims", "manage-runs"},
        "admin": {"judge", "resolve", "manage-claims", "manage-runs", "manage-users"},
    }
    assert not role_can("stranger", "judge")
    with pytest.raises(ValueError, match="unknown action"):
        role_can("admin", "fly")


def test_identity_can_follows_the_account_role_and_local_mode_may_do_all() -> None:
    local = Identity("ann")
    assert all(local.can(action) for action in ACTIONS)
    reviewer = Identity("rita", account_id=2, role="reviewer")
    assert reviewer.can("judge") and not reviewer.can("resolve")
    assert not reviewer.can("manage-users")
    editor = Identity("ed", account_id=3, role="editor")
    assert editor.can("resolve") and not editor.can("manage-users")
    assert Identity("ada", account_id=1, role="admin").can("manage-users")


# --- throttle -----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_lets_a_few_tries_then_waits_longer_each_time() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(NAME_TRIES):
        assert throttle.wait("ann", "10.0.0.1") == 0
        throttle.failed("ann", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.2") == BASE_DELAY  # per name, whatever the address
    assert throttle.wait("bob", "10.0.0.1") == 0  # another name from the same address
    clock.now += BASE_DELAY
    assert throttle.wait("ann", "10.0.0.1") == 0
    throttle.failed("ann", "10.0.0.1")
    assert throttle.wait("ann", "10.0.0.1") == 2 * BASE_DELAY  # doubled
    throttle.succeeded("ann")
    assert throttle.wait("ann", "10.0.0.1") == 0


def test_throttle_counts_per_client_address_across_names() -> None:
    throttle = LoginThrottle(Clock())
    for n in range(ADDRESS_TRIES):
        throttle.failed(f"name{n}", "10.0.0.9")
    assert throttle.wait("fresh", "10.0.0.9") == BASE_DELAY
    assert throttle.wait("fresh", "10.0.0.8") == 0


# --- migration -----------------------------------------------------------------------------


def test_migration_0011_adds_users_to_a_0010_database_keeping_its_data(
    database_url: str,
) -> None:
    from evidence.store.db import create_db_engine

    engine = create_db_engine(database_url)
    upgrade(engine, "0010")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO claim_sets (slug, title, updated_at)"
                " VALUES ('s', 'T', '2026-01-01 00:00:00+00:00')"
            )
        )
    assert current_revision(engine) == "0010"
    upgrade(engine, "0011")
    assert current_revision(engine) == "0011"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug FROM claim_sets")).scalar_one() == "s"
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    engine.dispose()


# --- evidence serve ------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import waitress

    seen: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: seen.update(app=app, **kw))
    return seen


def serve(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["serve", *args], env={"EVIDENCE_DATABASE_URL": url})


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_other_hosts_without_accounts(
    database_url: str, served: dict[str, Any], host: str
) -> None:
    Database(database_url).dispose()
    refused = serve(database_url, "--host", host)
    assert refused.exit_code == 2 and served == {}
    assert refused.stderr.startswith(f"Error: refusing to serve on {host} without accounts")
    assert len(refused.stderr.strip().splitlines()) == 1
    local = serve(database_url, "--host", "127.0.0.1")
    assert local.exit_code == 0 and "/login?token=" in local.stdout  # local: the token link


def test_serve_listens_widely_with_accounts_or_a_trusted_proxy_header(
    database_url: str, served: dict[str, Any]
) -> None:
    Database(database_url).dispose()
    proxied = serve(database_url, "--host", "0.0.0.0", "--trust-proxy-header", "X-Forwarded-User")
    assert proxied.exit_code == 0, proxied.output
    assert "anyone who reaches this port directly" in proxied.stderr
    assert served["host"] == "0.0.0.0"
    bad = serve(database_url, "--trust-proxy-header", "X Forwarded: User")
    assert bad.exit_code == 2 and "not an HTTP header name" in bad.stderr
    served.clear()
    assert add(database_url, "ann", "admin").exit_code == 0
    team = serve(database_url, "--host", "0.0.0.0", "--port", "8799")
    assert team.exit_code == 0, team.output
    assert team.stdout.strip() == "http://0.0.0.0:8799/"  # no token: the login page asks
    assert "TLS" in team.stderr and served["port"] == 8799
