"""``threadmark serve``: the reader in a browser, one reader process per browser session.

textual-serve runs an app command per browser session in a subprocess and proxies its terminal
over a websocket.  It has no authentication and takes a websocket from any web page, so on its
own any page the user visits could drive the reader.  :class:`ReaderServer` wraps its ``Server``
with what that lacks: a random token on every request (in the printed URL, then a cookie), the
websocket's Origin checked, no directory listings, each session's own annotator name, and the
reader processes ended when the server stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import html
import ipaddress
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path
from urllib.parse import quote, unquote

from store.errors import ThreadmarkError
from tui.cli import ArgumentParser, add_db_option, say

try:
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int
except ModuleNotFoundError as missing:  # the optional `serve` extra
    raise ThreadmarkError(
        f"threadmark serve needs {missing.name}: pip install 'threadmark[serve]'"
    ) from None

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TOKEN_COOKIE = "threadmark_token"
ANNOTATOR_COOKIE = "threadmark_annotator"
MAX_ANNOTATOR_LENGTH = 64
# How long a reader process has to end after SIGTERM before it is killed.
END_GRACE_SECONDS = 5.0

NAME_FORM = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>threadmark</title>
<style>
body {{ background: #0c181f; color: #eee; font: 16px monospace; margin: 4em; }}
input, button {{ font: inherit; padding: 0.3em; }}
.error {{ color: #f88; }}
</style></head>
<body>
<h1>threadmark</h1>
<p class="error">{error}</p>
<form method="get" action="/">
<label>Your name on annotations:
<input name="annotator" value="{name}" maxlength="{max_length}" required autofocus></label>
<button>Open the reader</button>
</form>
</body>
</html>
"""


def serve_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark serve",
        description="Serve the reader to web browsers: each browser session gets its own reader, "
        "under the annotator name it gives.  Open the printed URL (it carries the token).",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    add_db_option(parser)
    return parser


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return int(text)


def cmd_serve(args: argparse.Namespace) -> int:
    from store.database import database_exists, open_database

    db = args.db.resolve()
    # Opened once here, so a file that is not a database is one error line now rather than a
    # session that ends at once in the browser, and an older schema is migrated only once.
    if database_exists(db):
        open_database(db).close()
    if not is_loopback(args.host):
        say(
            f"threadmark: warning: serving on {args.host}, not only this machine: anyone who "
            "can reach the port and learns the token can read and annotate, and plain HTTP "
            "shows the token to the network (an SSH tunnel to the default 127.0.0.1 does not)"
        )
    server = ReaderServer(db, args.host, args.port)
    try:
        server.serve()
    except OSError as error:  # the address is taken, not this machine's, or no such host
        # A failed bind's message repeats the address; getaddrinfo's errors have no errno.
        reason = os.strerror(error.errno) if (error.errno or 0) > 0 else error.strerror
        raise ThreadmarkError(f"cannot listen on {args.host} port {args.port}: {reason}") from None
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def served_url(host: str, port: int) -> str:
    """The origin browsers reach the server at: the printed URL and the page's own URLs use it,
    and a websocket's Origin must be it."""
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host)
        if address.is_unspecified:  # every interface: name the machine
            host = socket.getfqdn()
        elif address.version == 6:
            host = f"[{host}]"
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"


def check_annotator(name: str) -> str:
    """The name a session annotates under, stripped; :class:`ThreadmarkError` if it is unusable."""
    name = name.strip()
    if not name:
        raise ThreadmarkError("the annotator name is empty")
    if len(name) > MAX_ANNOTATOR_LENGTH:
        raise ThreadmarkError(f"the annotator name is over {MAX_ANNOTATOR_LENGTH} characters")
    if not name.isprintable():
        raise ThreadmarkError("the annotator name has control or invisible characters")
    return name


def name_form(name: str = "", error: str = "", status: int = 200) -> web.Response:
    """The page that asks a browser session for its annotator name (every value escaped)."""
    page = NAME_FORM.format(
        error=html.escape(error), name=html.escape(name), max_length=MAX_ANNOTATOR_LENGTH
    )
    return web.Response(text=page, content_type="text/html", status=status)


def keep_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    """A cookie no script can read and no other site's page sends."""
    response.set_cookie(name, value, path="/", httponly=True, samesite="Strict")


class ReaderSession(AppService):
    """One browser session's reader: textual-serve's AppService, started with no shell, so the
    annotator name is one argument whatever it holds, and ended when the server stops."""

    def __init__(self, argv: list[str], **service_options) -> None:
        super().__init__(shlex.join(argv), **service_options)
        self.argv = argv

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
        )
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Close the websocket once the reader is gone, whyever it went: textual-serve closes
        it only when the reader says it exits, and a browser would wait on a dead one."""
        await super().run()
        await self.remote_close()

    async def end(self) -> None:
        """SIGTERM, then SIGKILL if it lingers: every change is already committed."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), END_GRACE_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


class ReaderServer(Server):
    """textual-serve's Server with a token, the Origin check, a name per session, no directory
    listings, and every reader ended at shutdown."""

    def __init__(self, db: Path, host: str, port: int) -> None:
        super().__init__(
            "threadmark",
            host=host,
            port=port,
            title="threadmark",
            public_url=served_url(host, port),
        )
        self.db = db
        self.token = secrets.token_urlsafe(32)
        self.sessions: set[ReaderSession] = set()

    def serve(self) -> None:
        """Run until SIGINT or SIGTERM, by aiohttp's own run: it says the URL once the port is
        bound (textual-serve's says it before, even when the bind then fails), and with no
        access log, whose request lines would hold the token."""
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            access_log=None,
            print=self.announce,
        )

    def announce(self, _running: str) -> None:
        say("threadmark: serving the reader; open this URL (ctrl+c stops it):")
        say(f"{self.public_url}/?token={self.token}")

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Not textual-serve's logo and URL: :meth:`announce` gives the URL once it opens."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every reader; each one's websocket then closes, so stopping waits on no browser."""
        await asyncio.gather(*(session.end() for session in self.sessions))

    @web.middleware
    async def guard(self, request: web.Request, handler) -> web.StreamResponse:
        """Refuse (403) any request without the token and a websocket from another origin; and
        a static directory is not found rather than listed."""
        given = request.query.get("token") or request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            raise web.HTTPForbidden(text="threadmark: open the URL threadmark serve printed\n")
        origin = request.headers.get("Origin")
        is_websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if (origin is not None or is_websocket) and origin != self.public_url:
            raise web.HTTPForbidden(text="threadmark: not from this server's page\n")
        if self._is_static_directory(request):
            raise web.HTTPNotFound()
        response = await handler(request)
        if "token" in request.query and not response.prepared:
            keep_cookie(response, TOKEN_COOKIE, self.token)
        return response

    def _is_static_directory(self, request: web.Request) -> bool:
        """textual-serve's static route lists directories."""
        resource = request.match_info.route.resource
        return (
            isinstance(resource, web.StaticResource)
            and (self.statics_path / request.match_info["filename"]).is_dir()
        )

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The name form until the session names its annotator; then textual-serve's page, with
        the name kept in a cookie for the websocket the page opens."""
        name = request.query.get("annotator")
        if name is None:
            return name_form(unquote(request.cookies.get(ANNOTATOR_COOKIE, "")))
        try:
            annotator = check_annotator(name)
        except ThreadmarkError as error:
            return name_form(name, str(error), status=400)
        response = await super().handle_index(request)
        keep_cookie(response, ANNOTATOR_COOKIE, quote(annotator, safe=""))
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's websocket, with a :class:`ReaderSession` under the session's name."""
        try:
            annotator = check_annotator(
                request.query.get("annotator") or unquote(request.cookies.get(ANNOTATOR_COOKIE, ""))
            )
        except ThreadmarkError as error:
            raise web.HTTPBadRequest(text=f"threadmark: {error}\n") from None
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        session = ReaderSession(
            self.reader_command(annotator),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.sessions.add(session)
        try:
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await session.start(width, height)
            await self._process_messages(websocket, session)
        finally:
            await session.stop()
            self.sessions.discard(session)
        return websocket

    def reader_command(self, annotator: str) -> list[str]:
        """``threadmark --db DB --annotator NAME``, by this interpreter (``threadmark`` may not be
        on the PATH); ``--annotator=`` so a name starting with ``-`` is not an option."""
        return [sys.executable, "-m", "tui.cli", "--db", str(self.db), f"--annotator={annotator}"]


SUBCOMMANDS = {"serve": (serve_parser, cmd_serve)}
