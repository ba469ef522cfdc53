"""``evidence serve``: the review desk in the browser, on this machine."""

from __future__ import annotations

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import message

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
@pass_app
def serve_command(app: App, host: str, port: int, open_browser: bool, threads: int) -> None:
    """Start the review desk: a local web app on the same database and services.

    Prints a URL carrying a one-time login token on stdout (open it; the reviewer then
    gives a name once per browser). Without it, only the login page is served. The session
    key is random per start unless EVIDENCE_SECRET_KEY is set. Ctrl-C stops the server.
    """
    import waitress

    from evidence.web.app import create_app, issue_login_url

    secret = app.settings.secret_key
    desk = create_app(app, secret_key=secret.reveal() if secret else None)
    shown = f"[{host}]" if ":" in host else host
    url = issue_login_url(desk, f"http://{shown}:{port}")
    if not _loopback(host):
        message(
            f"Warning: listening on {host}, not only this machine: anyone who can reach it "
            "and holds the link can sign in (plain HTTP, no TLS)",
            quiet=app.quiet,
        )
    click.echo(url)
    message("review desk: open the URL above; Ctrl-C stops the server", quiet=app.quiet)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    waitress.serve(desk, host=host, port=port, threads=threads, ident="evidence")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
