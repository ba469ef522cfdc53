"""``evidence users``: accounts for a shared review desk (add, list, disable, passwd)."""

from __future__ import annotations

import sys

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import echo_json, json_option, message
from evidence.domain.errors import AccountError
from evidence.domain.vocab import ROLE_REVIEWER, ROLES

password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting.",
)


@click.group("users")
def users_group() -> None:
    """Desk accounts: once one is enabled, the desk asks for a name and password.

    Reviewers judge; editors also resolve conflicts and manage claims and runs; admins
    also manage users. Passwords are stored as Argon2id hashes only.
    """


def read_password(from_stdin: bool) -> str:
    """The password: stdin's first line, or asked twice without echo (prompts on stderr)."""
    if from_stdin:
        line = str(sys.stdin.readline())
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise AccountError("no password on stdin (--password-stdin reads its first line)")
        return password
    value = click.prompt(
        "Password", hide_input=True, confirmation_prompt="Repeat the password", err=True
    )
    return str(value)


@users_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=ROLE_REVIEWER,
    show_default=True,
    help="What the account may do.",
)
@password_stdin_option
@pass_app
def add_command(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add the account NAME (prompts twice for its password unless --password-stdin)."""
    from evidence.services.accounts import add_account, check_new_account

    database = app.database(create=True)
    with database.session() as session:  # a bad name or database: said before the prompt
        check_new_account(session, name, role)
    password = read_password(password_stdin)
    with database.session(write=True) as session:
        added = add_account(session, name, role, password)
    message(f"added account {added.name!r} ({added.role})", quiet=app.quiet)


@users_group.command("list")
@json_option
@pass_app
def list_command(app: App, as_json: bool) -> None:
    """Every account: name, role, state, when its password was last set."""
    from evidence.services.accounts import list_accounts

    with app.database(create=False).session() as session:
        accounts = list_accounts(session)
    if as_json:
        echo_json([a.to_json() for a in accounts])
        return
    for a in accounts:
        state = "disabled" if a.disabled else "enabled"
        changed = a.password_changed_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"{a.name}\t{a.role}\t{state}\tpassword set {changed}")
    message(f"{len(accounts)} account{'' if len(accounts) == 1 else 's'}", quiet=app.quiet)


@users_group.command("disable")
@click.argument("name")
@pass_app
def disable_command(app: App, name: str) -> None:
    """Disable NAME: it can no longer sign in, and its open sessions end."""
    _set_disabled(app, name, disabled=True)


@users_group.command("enable")
@click.argument("name")
@pass_app
def enable_command(app: App, name: str) -> None:
    """Enable NAME again (with its old password)."""
    _set_disabled(app, name, disabled=False)


def _set_disabled(app: App, name: str, *, disabled: bool) -> None:
    """Disable or enable the account ``name`` and say so on stderr."""
    from evidence.services.accounts import set_disabled

    with app.database(create=False).session(write=True) as session:
        set_disabled(session, name, disabled=disabled)
    state = "disabled" if disabled else "enabled"
    message(f"{state} account {name!r}", quiet=app.quiet)


@users_group.command("passwd")
@click.argument("name")
@password_stdin_option
@pass_app
def passwd_command(app: App, name: str, password_stdin: bool) -> None:
    """Set NAME's password (prompts twice unless --password-stdin); its sessions end."""
    from evidence.services.accounts import account_named, change_password

    database = app.database(create=False)
    with database.session() as session:  # an unknown name: said before the prompt
        account_named(session, name)
    password = read_password(password_stdin)
    with database.session(write=True) as session:
        change_password(session, name, password)
    message(f"changed the password of {name!r}", quiet=app.quiet)
