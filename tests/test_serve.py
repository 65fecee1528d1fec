"""``threadmark serve`` as a user runs it: a real server process on loopback, real HTTP, a real
websocket, and one real browser (Debian's Chromium, driven by Playwright).

What is checked is what keeps other web pages out: the token on every request, the websocket's
Origin, no directory listings; and that each session is its own annotator and every reader
process ends with the server.
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest

from store.errors import ThreadmarkError
from tests.environment import clean_env
from tests.test_cli import assert_bad_input
from tui.serve import MAX_ANNOTATOR_LENGTH, check_annotator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT = 30.0
POLL = 0.05
STOP_SECONDS = 10.0
WEBSOCKET_HEADERS = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}
T = TypeVar("T")


@dataclass
class Served:
    """A running ``threadmark serve`` and what its user knows: the port and the printed token."""

    process: subprocess.Popen
    port: int
    token: str
    db: Path
    stderr: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, SimpleCookie]:
        """Status, body and the cookies set."""
        with closing(self.connect()) as connection:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
            return response.status, response.read().decode(), cookies

    @contextmanager
    def websocket(self, path: str, origin: str | None) -> Iterator[int]:
        """The handshake's status; the connection (a session, if it upgraded) stays up inside."""
        headers = dict(WEBSOCKET_HEADERS)
        if origin is not None:
            headers["Origin"] = origin
        with closing(self.connect()) as connection:
            connection.request("GET", path, headers=headers)
            yield connection.getresponse().status


def wait_until(
    condition: Callable[[], T], what: str, pause: Callable[[], object] = lambda: time.sleep(POLL)
) -> T:
    """Poll ``condition`` until it is truthy, and return what it gave; ``pause`` between polls."""
    deadline = time.monotonic() + TIMEOUT
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause()
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def serving(directory: Path, db: Path) -> Iterator[Served]:
    """``threadmark serve`` on a free loopback port, once it prints its URL and listens; stopped
    at the end if the test has not stopped it."""
    port = free_port()
    log = directory / f"serve-{port}.stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "serve", "--port", str(port), "--db", str(db)],
            env=clean_env(directory, None),
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )

    def started() -> str | None:
        if process.poll() is not None:
            raise AssertionError(f"threadmark serve exited: {log.read_text()}")
        printed = re.search(rf"^http://127\.0\.0\.1:{port}/\?token=(\S+)$", log.read_text(), re.M)
        return printed and listening(port) and printed[1]

    try:
        token = wait_until(started, "threadmark serve to print its URL and listen")
        yield Served(process, port, token, db.resolve(), log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def readers_of(db: Path) -> list[int]:
    """The live reader processes on ``db``: their command line names it and an annotator."""
    if not Path("/proc").is_dir():
        pytest.skip("finds the reader processes in /proc, which this system does not have")
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:  # gone meanwhile
            continue
        if str(db).encode() in argv and any(arg.startswith(b"--annotator=") for arg in argv):
            pids.append(int(entry.name))
    return pids


def stop_and_check_no_reader_is_left(served: Served) -> None:
    """SIGTERM, as a service manager would stop it: it exits 0, takes its readers with it, and
    soon, not once the browsers hang up (aiohttp's shutdown would wait on their websockets)."""
    assert readers_of(served.db), "the test meant to stop a server with a reader running"
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=STOP_SECONDS) == 0
    assert readers_of(served.db) == []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Iterator[Served]:
    """One server on a copy of the seeded database, for the checks that change nothing."""
    directory = tmp_path_factory.mktemp("serve")
    db = directory / "threadmark.db"
    db.write_bytes(seeded_template.read_bytes())
    with serving(directory, db) as server:
        yield server


@pytest.mark.parametrize(
    "path",
    ["/", "/?annotator=eve", "/?token=not-it", "/static/js/textual.js", "/download/any", "/ws"],
)
def test_a_request_without_the_token_is_refused(served: Served, path: str):
    status, body, cookies = served.get(path)
    assert status == 403
    assert served.token not in body
    assert not cookies


def test_a_wrong_token_cookie_is_refused(served: Served):
    status, _, _ = served.get("/", {"Cookie": f"threadmark_token={served.token.swapcase()}"})
    assert status == 403


def test_by_default_it_listens_on_loopback_with_no_warning(served: Served):
    assert served.stderr.read_text().splitlines() == [
        "threadmark: serving the reader; open this URL (ctrl+c stops it):",
        f"http://127.0.0.1:{served.port}/?token={served.token}",
    ]


def test_the_token_opens_the_name_form_and_is_kept_in_a_cookie(served: Served):
    status, body, cookies = served.get(f"/?token={served.token}")
    assert status == 200
    assert 'name="annotator"' in body
    cookie = cookies["threadmark_token"]
    assert cookie.value == served.token
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    # The cookie alone is enough from then on: the page's own requests carry no token.
    status, body, _ = served.get("/", {"Cookie": f"threadmark_token={served.token}"})
    assert (status, 'name="annotator"' in body) == (200, True)


def test_a_named_session_gets_the_reader_page(served: Served):
    status, body, cookies = served.get(f"/?token={served.token}&annotator=Ana%20O%27Brien")
    assert status == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in body
    assert cookies["threadmark_annotator"].value == "Ana%20O%27Brien"
    assert cookies["threadmark_annotator"]["samesite"] == "Strict"


def test_a_bad_name_is_asked_again_with_the_page_escaped(served: Served):
    name = quote("<b>" + "x" * MAX_ANNOTATOR_LENGTH)
    status, body, cookies = served.get(f"/?token={served.token}&annotator={name}")
    assert status == 400
    assert f"over {MAX_ANNOTATOR_LENGTH} characters" in body
    assert "&lt;b&gt;" in body and "<b>" not in body
    assert "threadmark_annotator" not in cookies


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://127.0.0.1:1", "null", None], ids=repr
)
def test_a_websocket_from_another_origin_is_refused(served: Served, origin: str | None):
    with served.websocket(f"/ws?token={served.token}&annotator=eve", origin) as status:
        assert status == 403
        assert readers_of(served.db) == []


def test_a_websocket_needs_the_token_whatever_its_origin(served: Served):
    with served.websocket("/ws?annotator=eve", served.origin) as status:
        assert status == 403


def test_the_page_s_own_websocket_starts_a_reader(served: Served):
    with served.websocket(f"/ws?token={served.token}&annotator=eve", served.origin) as status:
        assert status == 101
        wait_until(lambda: readers_of(served.db), "the session's reader to start")
    # The browser went away: so does its reader.
    wait_until(lambda: not readers_of(served.db), "the session's reader to end")


@pytest.mark.parametrize("path", ["/static/", "/static/js", "/static/js/", "/static/fonts/"])
def test_a_static_directory_is_not_listed(served: Served, path: str):
    status, body, _ = served.get(f"{path}?token={served.token}")
    assert status == 404
    assert ".js" not in body and ".ttf" not in body


def test_static_files_are_still_served(served: Served):
    status, body, _ = served.get(f"/static/js/textual.js?token={served.token}")
    assert status == 200
    assert "WebSocket" in body


@pytest.mark.parametrize("name", ["alice", "  alice  ", "Ana O'Brien", "-rf", "x" * 64])
def test_usable_annotator_names(name: str):
    assert check_annotator(name) == name.strip()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bob\x1b[2J", "bob\nmallory", "\u202ebob"])
def test_unusable_annotator_names(name: str):
    with pytest.raises(ThreadmarkError):
        check_annotator(name)


def test_stopping_the_server_ends_every_reader(tmp_path: Path, seeded_db: Path):
    with (
        serving(tmp_path, seeded_db) as served,
        served.websocket(f"/ws?token={served.token}&annotator=eve", served.origin) as status,
    ):
        assert status == 101
        wait_until(lambda: readers_of(served.db), "the session's reader to start")
        stop_and_check_no_reader_is_left(served)  # with the websocket still open


def test_an_address_beyond_this_machine_is_warned_about(run_cli):
    # 192.0.2.1 is TEST-NET-1, never this machine's: the warning comes, then the bind fails.
    returncode, stdout, stderr = run_cli("serve", "--host", "192.0.2.1", "--port", "8000")
    warning, error = stderr.splitlines()
    assert warning.startswith("threadmark: warning: serving on 192.0.2.1, not only this machine")
    assert error.startswith("threadmark: error: cannot listen on 192.0.2.1 port 8000")
    assert (returncode, stdout) == (2, "")


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_one_error_line(call_cli, port: str):
    returncode, _, stderr = call_cli("serve", "--port", port)
    assert returncode == 2
    assert stderr.startswith("threadmark: error: argument --port: not a port number")


def test_without_the_serve_extra_it_says_what_to_install(call_cli, monkeypatch):
    monkeypatch.delitem(sys.modules, "tui.serve")
    imported = [name for name in sys.modules if name.startswith("textual_serve.")]
    for name in ["textual_serve", *imported]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    # An address that is not this machine's: were it served, the bind would fail at once.
    result = call_cli("serve", "--host", "192.0.2.1")
    assert_bad_input(result, mentions="pip install 'threadmark[serve]'")


def test_a_browser_session_tags_under_its_own_name(tmp_path: Path, seeded_db: Path):
    """The name form, the reader drawn in Chromium, ``1`` tags the selected comment ``claim``
    under that name (quotes and ``$`` reach the reader as typed: no shell), and stopping the
    server with the browser still open ends the reader."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian's chromium package; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    annotator = 'Ana O\'Brien "$HOME"'
    drawn = bytearray()  # everything the reader sent the browser's terminal
    with serving(tmp_path, seeded_db) as served, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda frame: drawn.extend(as_bytes(frame))),
        )
        page.goto(f"{served.origin}/?token={served.token}")
        page.fill("input[name=annotator]", annotator)
        page.click("button")
        # The reader's header says the thread is loaded.  Playwright hands over the frames
        # only while it is called, so the pause is its own.
        wait_until(
            lambda: b"0/10 tagged" in drawn,
            "the reader to draw",
            pause=lambda: page.wait_for_timeout(POLL * 1000),
        )
        page.click("#terminal")
        page.keyboard.press("1")
        tagged = wait_until(lambda: annotations(served.db), "the tag to be committed")
        assert tagged == [(1, "claim", annotator)]
        stop_and_check_no_reader_is_left(served)
        browser.close()


def as_bytes(frame: str | bytes) -> bytes:
    """A websocket frame's payload: the terminal's output is binary, textual-serve's own
    messages text."""
    return frame.encode() if isinstance(frame, str) else frame


def annotations(db: Path) -> list[tuple[int, str, str]]:
    """Every tagging: the comment's number, the tag, the annotator."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return connection.execute(
            "SELECT clusters.seq, tags.name, annotations.annotator FROM annotations"
            " JOIN clusters ON clusters.id = annotations.cluster_id"
            " JOIN tags ON tags.id = annotations.tag_id"
        ).fetchall()
