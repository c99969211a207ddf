"""The WSGI launcher: Bavard on hosts that only run Python web apps.

cPanel's "Setup Python App" (Passenger) and PythonAnywhere's classic web apps call a WSGI
``application`` and nothing else. This one makes sure a single ``bavard`` server runs for the
app, on a unix socket in the app's folder, and passes every request to it faithfully.

- One server for all the host's worker processes: the start is serialised with ``flock`` and
  checked again under the lock, so several workers start exactly one. It runs in a session of
  its own, so recycling the worker that started it does not take it down; if it dies, the next
  request starts it again.
- A WSGI worker serves one request at a time, so the server is told it runs behind WSGI
  (``--behind-wsgi``): polls answer at once and pages ask again every 1.5 s.
- Requests are streamed both ways; only requests that cannot have changed anything are retried
  after a restart.

Settings, from the environment (the app's own settings in cPanel, or ``os.environ`` in the
PythonAnywhere WSGI file), relative to the app's folder (the current directory):

``BAVARD_BIN``     the program (default: ``bavard`` beside this Python, then on PATH)
``BAVARD_DATA``    the data folder (default: ``./data``)
``BAVARD_SOCKET``  the socket (default: ``./bavard.sock``)
``BAVARD_LOG``     the server's log (default: ``bavard.log`` in the data folder)

Python 3.8+, standard library only.
"""

import errno
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import quote

__all__ = ["application"]

# How long a fresh server may take to answer: the first start creates the database.
START_TIMEOUT_SECONDS = 30
# A held poll sends nothing while it waits, so the launcher must wait longer than any hold.
# Behind WSGI polls are not held, but an operator may set BAVARD_POLL_HOLD for a threaded server.
MIN_PROXY_TIMEOUT_SECONDS = 300
# Chunks of request and response bodies: enough for throughput, small for memory.
CHUNK = 64 * 1024
# The server's log is started afresh past this size (the previous one is kept as .1).
LOG_ROTATE_BYTES = 5 * 1024 * 1024
# The longest path a unix socket may have (sun_path is 108 bytes on Linux, with a NUL).
MAX_SOCKET_PATH = 107
LOG_LINES_REPORTED = 20

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    ]
)
# Said by the launcher itself; a client's own would let it pose as another address or scheme.
FORWARDING = frozenset(
    ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"]
)
# Requests that change nothing, and so may be sent again after the server restarted.
IDEMPOTENT = frozenset(["GET", "HEAD", "OPTIONS"])


class StartError(Exception):
    """The server could not be started. ``reason`` is for the person at the browser (no paths
    or other details of the host); ``detail``, for the operator, goes to the log."""

    def __init__(self, reason, detail=None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _app_dir():
    return os.getcwd()


def _data_dir():
    return os.path.abspath(os.environ.get("BAVARD_DATA") or os.path.join(_app_dir(), "data"))


def _socket_path():
    path = os.path.abspath(os.environ.get("BAVARD_SOCKET") or os.path.join(_app_dir(), "bavard.sock"))
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        # Never fall back to a shared folder such as /tmp: another account could put its own
        # socket there and receive our users' cookies.
        raise StartError(
            "its socket path is too long",
            "the socket path %s is longer than %d bytes; set BAVARD_SOCKET to a shorter path "
            "in a folder of your own" % (path, MAX_SOCKET_PATH),
        )
    return path


def _log_path():
    return os.environ.get("BAVARD_LOG") or os.path.join(_data_dir(), "bavard.log")


def _binary():
    configured = os.environ.get("BAVARD_BIN")
    if configured:
        if os.access(configured, os.X_OK):
            return configured
        raise StartError(
            "the program it was configured with cannot be run",
            "BAVARD_BIN names %s, which is not an executable program" % configured,
        )
    beside_python = [
        os.path.join(os.path.dirname(sys.executable), "bavard"),
        os.path.join(sys.prefix, "bin", "bavard"),
    ]
    for candidate in beside_python:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("bavard")
    if found:
        return found
    raise StartError(
        "the bavard program was not found",
        "no bavard beside %s nor on PATH: install the bavard wheel in this Python environment, "
        "or set BAVARD_BIN" % sys.executable,
    )


def _proxy_timeout():
    try:
        hold = int(os.environ.get("BAVARD_POLL_HOLD", "0"))
    except ValueError:
        hold = 0
    return max(MIN_PROXY_TIMEOUT_SECONDS, hold + 60)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.unix_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


# --- Keeping one server running ---

_children = []
_children_lock = threading.Lock()
_checked_binary = False


def _reap():
    """Collects servers this process started that have since exited (no zombies)."""
    with _children_lock:
        _children[:] = [child for child in _children if child.poll() is None]


def _answers(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _stamp(binary):
    info = os.stat(binary)
    return {"bin": os.path.realpath(binary), "mtime_ns": info.st_mtime_ns, "size": info.st_size}


def _read_pidfile(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError as e:
        return e.errno == errno.EPERM


def _serves(pid, sock_path):
    """Whether process `pid` is a bavard server on `sock_path`: a recorded pid may have been
    reused by an unrelated process since, which must never be signalled."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return False
    return b"serve" in args and os.fsencode(sock_path) in args


def _stop_outdated(pidfile, binary, sock_path):
    """After an upgrade the old server still runs the old program: stop it, once per worker
    process, so the next start runs the new one."""
    recorded = _read_pidfile(pidfile)
    if not recorded or not isinstance(recorded.get("pid"), int):
        return
    current = _stamp(binary)
    if all(recorded.get(key) == value for key, value in current.items()):
        return
    pid = recorded["pid"]
    if not _alive(pid) or not _serves(pid, sock_path):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(pid) and _answers(sock_path):
        time.sleep(0.1)
    _reap()


def _rotate(log_path):
    try:
        if os.path.getsize(log_path) > LOG_ROTATE_BYTES:
            os.replace(log_path, log_path + ".1")
    except OSError:
        pass


def _log_tail(log_path):
    try:
        with open(log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16 * 1024))
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-LOG_LINES_REPORTED:])
    except OSError as e:
        return "(no log: %s)" % e


def _spawn(binary, sock_path, data_dir, log_path):
    args = [binary, "serve", "--unix-socket", sock_path, "--data", data_dir, "--behind-wsgi"]
    env = dict(os.environ)
    # Where to listen is the launcher's to say; these would conflict with the socket.
    for name in ("BAVARD_BIND", "BAVARD_SOCKET", "DOMAIN_SOCKET", "PORT"):
        env.pop(name, None)
    _rotate(log_path)
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=_app_dir(),
            env=env,
            close_fds=True,
            # Its own session: the host's recycling of this worker (a signal to its process
            # group) must not stop the server every other worker relies on.
            start_new_session=True,
        )
    with _children_lock:
        _children.append(child)
    return child


def _ensure_running(sock_path):
    """Starts the server unless it answers. Exactly one starts, whichever workers ask."""
    try:
        _start_once(sock_path)
    except OSError as e:
        # A data folder or lock file that cannot be made: say so, not "restarting".
        raise StartError("its files could not be written", "start-up failed: %s" % e)


def _start_once(sock_path):
    global _checked_binary
    _reap()
    data_dir = _data_dir()
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    binary = _binary()
    log_path = _log_path()
    pidfile = sock_path + ".pid"
    with open(sock_path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _checked_binary:
            _stop_outdated(pidfile, binary, sock_path)
            _checked_binary = True
        if _answers(sock_path):
            return
        child = _spawn(binary, sock_path, data_dir, log_path)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(sock_path):
            if child.poll() is not None:
                raise _start_failed("it stopped at once (exit status %s)" % child.returncode, log_path)
            if time.monotonic() > deadline:
                # Never leave it to answer later beside the next attempt's server.
                child.kill()
                raise _start_failed("it did not answer within %d s" % START_TIMEOUT_SECONDS, log_path)
            time.sleep(0.05)
        record = dict(_stamp(binary), pid=child.pid)
        tmp = pidfile + ".tmp"
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.replace(tmp, pidfile)


def _start_failed(why, log_path):
    sys.stderr.write(
        "bavard.wsgi: bavard could not start: %s. Last lines of %s:\n%s\n"
        % (why, log_path, _log_tail(log_path))
    )
    sys.stderr.flush()
    return StartError("%s (the log, %s, says why)" % (why, os.path.basename(log_path)))


# --- Passing requests on ---


def _target(environ):
    """The path and query as the client sent them."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw and not environ.get("SCRIPT_NAME") and raw.startswith("/"):
        return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # WSGI gives the path decoded, as latin-1: encode it back, keeping what may stand bare.
    target = quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~") or "/"
    query = environ.get("QUERY_STRING")
    return target + "?" + query if query else target


def _request_headers(environ):
    headers = []
    for key, value in environ.items():
        if not key.startswith("HTTP_"):
            continue
        name = key[5:].replace("_", "-").title()
        lowered = name.lower()
        # The WSGI server already answered any "Expect: 100-continue"; the body is here.
        if lowered in HOP_BY_HOP or lowered in FORWARDING or lowered in ("host", "content-length", "expect"):
            continue
        headers.append((name, value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", environ["CONTENT_TYPE"]))
    host = environ.get("HTTP_HOST") or "%s:%s" % (
        environ.get("SERVER_NAME", "localhost"),
        environ.get("SERVER_PORT", "80"),
    )
    https = environ.get("wsgi.url_scheme") == "https" or environ.get("HTTPS", "").lower() in ("on", "1")
    headers.append(("Host", host))
    headers.append(("X-Forwarded-Host", host))
    headers.append(("X-Forwarded-Proto", "https" if https else "http"))
    if environ.get("REMOTE_ADDR"):
        headers.append(("X-Forwarded-For", environ["REMOTE_ADDR"]))
    return headers


def _body_length(environ):
    """The body's length, or None to read it to its end, or 0 for none. Without a length the
    body is read to its end only when the server says the input ends there
    (``wsgi.input_terminated``, as gunicorn does for chunked bodies): reading further would
    block for ever on servers that do not (Passenger sends an empty POST with no length)."""
    length = environ.get("CONTENT_LENGTH", "").strip()
    if length:
        try:
            return max(0, int(length))
        except ValueError:
            return 0
    if environ.get("wsgi.input_terminated") and environ["REQUEST_METHOD"] not in IDEMPOTENT:
        return None
    return 0


def _send(conn, method, target, headers, body, length):
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value)
    if length is None:
        conn.putheader("Transfer-Encoding", "chunked")
    elif length or method not in IDEMPOTENT:
        conn.putheader("Content-Length", str(length))
    conn.endheaders()
    if length is None:
        while True:
            chunk = body.read(CHUNK)
            if not chunk:
                break
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        return
    left = length
    while left > 0:
        chunk = body.read(min(CHUNK, left))
        if not chunk:
            raise ConnectionAbortedError("the client sent less than its Content-Length")
        conn.send(chunk)
        left -= len(chunk)


class _Body:
    """The server's answer, passed on chunk by chunk as it arrives."""

    def __init__(self, conn, response):
        self.conn = conn
        self.response = response

    def __iter__(self):
        read = getattr(self.response, "read1", self.response.read)
        while True:
            chunk = read(CHUNK)
            if not chunk:
                return
            yield chunk

    def close(self):
        self.response.close()
        self.conn.close()


def _response_headers(response):
    named_in_connection = {
        token.strip().lower() for token in (response.getheader("Connection") or "").split(",")
    }
    return [
        (name, value)
        for name, value in response.getheaders()
        if name.lower() not in HOP_BY_HOP and name.lower() not in named_in_connection
    ]


def _forward(environ, sock_path):
    method = environ["REQUEST_METHOD"]
    target = _target(environ)
    headers = _request_headers(environ)
    length = _body_length(environ)
    body = environ["wsgi.input"]
    timeout = _proxy_timeout()
    for attempt in (1, 2):
        conn = _UnixHTTPConnection(sock_path, timeout)
        try:
            conn.connect()
        except OSError:
            conn.close()
            if attempt == 2:
                raise
            # Nothing was sent yet, so any request may go once the server is back.
            _ensure_running(sock_path)
            continue
        try:
            _send(conn, method, target, headers, body, length)
            return conn, conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
            conn.close()
            if attempt == 2 or method not in IDEMPOTENT:
                raise
            _ensure_running(sock_path)
    raise ConnectionError("unreachable")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>%(title)s</title></head>
<body><main><h1>%(title)s</h1><p>%(text)s</p>
<p lang="fr">%(text_fr)s</p></main></body></html>
"""


def _error_page(start_response, status, title, text, text_fr):
    from html import escape

    page = _PAGE % {"title": escape(title), "text": escape(text), "text_fr": escape(text_fr)}
    body = page.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Retry-After", "5"),
        ],
    )
    return [body]


def application(environ, start_response):
    try:
        sock_path = _socket_path()
        if not _checked_binary:
            # A worker's first request: start the server, or replace one left running by an
            # older version of the program.
            _ensure_running(sock_path)
        conn, response = _forward(environ, sock_path)
    except StartError as e:
        if e.detail:
            environ["wsgi.errors"].write("bavard.wsgi: bavard could not start: %s\n" % e.detail)
            environ["wsgi.errors"].flush()
        return _error_page(
            start_response,
            "503 Service Unavailable",
            "Bavard could not start",
            "Bavard could not start: %s. Please try again in a moment; if it goes on, tell the "
            "person who runs this site." % e.reason,
            "Bavard n'a pas pu démarrer. Réessayez dans un instant ; si cela continue, "
            "prévenez la personne qui gère ce site.",
        )
    except (OSError, http.client.HTTPException) as e:
        environ["wsgi.errors"].write("bavard.wsgi: the request could not be passed on: %r\n" % (e,))
        return _error_page(
            start_response,
            "502 Bad Gateway",
            "Bavard is restarting",
            "Bavard restarted while your request was on its way, so it may not have been "
            "received. Please go back and try again.",
            "Bavard a redémarré pendant l'envoi de votre demande, qui n'a peut-être pas été "
            "reçue. Revenez en arrière et réessayez.",
        )
    start_response("%d %s" % (response.status, response.reason), _response_headers(response))
    return _Body(conn, response)
