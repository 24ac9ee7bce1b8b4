"""`hudang search` answered by the running intake service, so the command does not pay for its imports.

A search's own work is a few tens of milliseconds; importing what it needs (click, whoosh, the settings, the
form definitions) costs four times that in every new process. The service (`hudang watch`) has them imported
already, so it listens on ``<home>/run/search.sock`` (the home's private folder; the caller must be the same
user) and, for each `hudang search`, forks: the child takes the command's own terminal (its stdin, stdout and
stderr, passed over the socket), working folder, environment and arguments, runs the command exactly as the
command would, and exits with its status, which the service sends back. The output, messages and exit status are
the command's own, whichever way it ran. With no service, a stale socket, or another user, the command searches
by itself as before.

The client side (`ask`) imports only the standard library's socket and json: it is what the command runs first.
"""

from __future__ import annotations

import array
import json
import os
import socket
import struct
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

SOCKET_NAME = "search.sock"
_HEADER = struct.Struct("!I")
_MAX_REQUEST = 1 << 20


def socket_path(root: str | Path) -> str:
    """Where the service answers: the home's private run/ folder (text: the command's side has no pathlib)."""
    return os.path.join(root, "run", SOCKET_NAME)


# ------------------------------------------------------------------ the command's side

def ask(args: list[str]) -> int | None:
    """Run `hudang ARGS` (a search) in the service; its exit status, or None when there is no service to ask."""
    from hudang.homes import root_text

    path = socket_path(root_text(None))
    if not os.path.exists(path):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(1.0)
        conn.connect(path)
        request = json.dumps({"argv": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        fds = array.array("i", [0, 1, 2])
        conn.sendmsg([_HEADER.pack(len(request)) + request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        conn.settimeout(None)    # the search takes what it takes; the service answers when the child has exited
        reply = _read_all(conn)
    except OSError:
        return None    # no service (a stale socket), or it went away before taking the request
    except KeyboardInterrupt:
        return 130     # Ctrl+C, as the command itself ends on it (the child's search ends on its own)
    finally:
        conn.close()
    try:
        answer = json.loads(reply)
    except ValueError:
        answer = {}
    if answer.get("fallback"):
        return None
    if "code" not in answer:    # the service stopped while it ran: the output may be cut short
        sys.stderr.write("检索中断：接收服务在检索时停止了，请重新运行\n")
        return 1
    return int(answer["code"])


def _read_all(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        data = conn.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


# ------------------------------------------------------------------ the service's side

class Server:
    """A process of its own beside `hudang watch` that answers searches, for the life of the service.

    It is forked from the service before the service starts any thread, and stays single-threaded: each search
    is a fork of it, and a fork of a process with other threads may inherit a lock one of them held (a search
    forked from the busy service itself hung so)."""

    def __init__(self, root: Path) -> None:
        from pathlib import Path

        self.path = Path(socket_path(root))
        self.pid = 0

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)    # a killed service's socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))    # inside the home's private run/ folder
        os.chmod(self.path, 0o600)   # and only this user may connect (each caller's uid is checked too)
        sock.listen(16)
        service = os.getpid()
        pid = os.fork()
        if pid == 0:
            _zygote(sock, service)   # never returns
        sock.close()
        self.pid = pid

    def close(self) -> None:
        if self.pid:
            import signal

            try:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
            self.path.unlink(missing_ok=True)


def _zygote(sock: socket.socket, service: int) -> None:
    """The answering process: accept, fork a child per search (it answers with the command's exit status);
    end when the service ends (SIGTERM from it, or it is gone: SIGKILL)."""
    import select
    import signal

    code = 0
    try:
        # None of the service's files stays open here: not its lock (a service started after a kill must get it
        # at once), not its log or its databases (each search opens the home afresh).
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        import logging

        log = logging.getLogger("hudang")
        log.handlers = [h for h in log.handlers if not getattr(h, "hudang_home_log", False)]
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl+C is the service's to handle
        _preload()
        while os.getppid() == service:
            _reap()
            if not select.select([sock], [], [], 1.0)[0]:
                continue
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            try:
                if os.fork() == 0:
                    sock.close()
                    _answer(conn)    # never returns
            except OSError:
                pass
            conn.close()
    except BaseException:  # noqa: BLE001 - never return into the service's code
        code = 1
    finally:
        os._exit(code)


def _reap() -> None:
    """Collect the searches that have ended (waited for, so their CPU counts as the zygote's children's)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _answer(conn: socket.socket) -> None:
    """In a child of the zygote: check the caller, become the command, run it, send back its exit status."""
    fds: list[int] = []
    code = 1
    try:
        uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
        request, fds = _receive(conn)
        if uid != os.getuid() or request is None or len(fds) != 3 or (request.get("argv") or [""])[0] != "search":
            conn.sendall(b'{"fallback": true}')
        else:
            code = _run(request, fds)
            conn.sendall(json.dumps({"code": code}).encode())
    except BaseException:  # noqa: BLE001 - the command went away (Ctrl+C), or the search failed outright
        pass
    finally:
        os._exit(code)


def _receive(conn: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    fds = array.array("i")
    data, ancillary, _, _ = conn.recvmsg(_MAX_REQUEST + _HEADER.size, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if len(data) < _HEADER.size:
        return None, list(fds)
    (size,) = _HEADER.unpack_from(data)
    body = data[_HEADER.size:]
    while len(body) < size <= _MAX_REQUEST:
        more = conn.recv(size - len(body))
        if not more:
            return None, list(fds)
        body += more
    try:
        request = json.loads(body)
    except ValueError:
        return None, list(fds)
    return (request if isinstance(request, dict) else None), list(fds)


def _run(request: dict[str, Any], fds: list[int]) -> int:
    """Become the command — its terminal, folder, environment and arguments — run it, and return its status."""
    import signal

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    signal.signal(signal.SIGINT, signal.default_int_handler)    # as in the command (the zygote ignores it)
    os.chdir(request.get("cwd") or "/")
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in (request.get("env") or {}).items()})
    # Fresh streams on the command's descriptors: nothing buffered before the fork may reach them.
    sys.stdin = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    argv = [str(a) for a in request.get("argv") or []]
    sys.argv = ["hudang", *argv]
    # the submodule's main (the package's own `main` is the console entry, which would ask us again)
    from hudang.pipeline.cli.main import main as run

    code = 1
    try:
        run(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _preload() -> None:
    """What a search imports, imported once in the service, so each forked child has it."""
    import hudang.index.engine  # noqa: F401
    import hudang.pipeline.app.search  # noqa: F401
    import hudang.pipeline.cli.main  # noqa: F401
    from hudang.pipeline.cli import _zhconv_without_pkg_resources

    _zhconv_without_pkg_resources()
