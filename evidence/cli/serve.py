"""``evidence serve``: the review desk in the browser, on this machine."""

from __future__ import annotations

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import message
from evidence.domain.errors import UnsafeServeError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the login URL in a browser.")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests served at once.",
)
@click.option(
    "--trust-proxy-header",
    metavar="HEADER",
    help="Let a reverse proxy sign users in: this request header (e.g. X-Forwarded-User) "
    "names an enabled account. Anyone who can reach the port directly can claim any name: "
    "listen on 127.0.0.1 behind the proxy.",
)
@pass_app
def serve_command(
    app: App,
    host: str,
    port: int,
    open_browser: bool,
    threads: int,
    trust_proxy_header: str | None,
) -> None:
    """Start the review desk: a web app on the same database and services.

    Without accounts: prints a URL carrying a one-time login token on stdout (open it; the
    reviewer then gives a name once per browser); only 127.0.0.1 and the like. With
    accounts (`evidence users add`): prints the desk's URL; the login page asks for a name
    and password. Listening beyond this machine (--host 0.0.0.0) needs accounts or
    --trust-proxy-header. The session key is random per start unless EVIDENCE_SECRET_KEY
    is set. Ctrl-C stops the server.
    """
    import waitress

    from evidence.services.accounts import team_mode
    from evidence.web.app import create_app, issue_login_url

    with app.database(create=False).session() as session:
        team = team_mode(session)
    check_exposure(host, team=team, proxy=trust_proxy_header)
    secret = app.settings.secret_key
    desk = create_app(
        app,
        secret_key=secret.reveal() if secret else None,
        trust_proxy_header=trust_proxy_header,
    )
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    url = f"{base}/" if team or trust_proxy_header else issue_login_url(desk, base)
    if not _loopback(host):
        message(
            f"Warning: listening on {host}, not only this machine, over plain HTTP: "
            "put a TLS reverse proxy in front (see the README's Team setup)",
            quiet=app.quiet,
        )
    if trust_proxy_header and not _loopback(host):
        message(
            f"Warning: trusting {trust_proxy_header} while listening on {host}: anyone who "
            "reaches this port directly can sign in as any account",
            quiet=app.quiet,
        )
    click.echo(url)
    mode = "accounts" if team else "proxy header" if trust_proxy_header else "one-time link"
    message(f"review desk ({mode}): open the URL above; Ctrl-C stops the server", quiet=app.quiet)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    waitress.serve(desk, host=host, port=port, threads=threads, ident="evidence")


def check_exposure(host: str, *, team: bool, proxy: str | None) -> None:
    """Refuse to listen beyond this machine when nothing tells who is who."""
    if _loopback(host) or team or proxy:
        return
    raise UnsafeServeError(
        f"refusing to serve on {host} without accounts: add one (evidence users add NAME "
        "--role admin), use --trust-proxy-header behind a proxy, or keep --host 127.0.0.1"
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
