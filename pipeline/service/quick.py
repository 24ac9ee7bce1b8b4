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
from pathlib import Path
from typing import Any

SOCKET_NAME = "search.sock"
_HEADER = struct.Struct("!I")
_MAX_REQUEST = 1 << 20


def socket_path(root: Path) -> Path:
    return root / "run" / SOCKET_NAME


# ------------------------------------------------------------------ the command's side

def ask(args: list[str]) -> int | None:
    """Run `hudang ARGS` (a search) in the service; its exit status, or None when there is no service to ask."""
    from hudang.homes import resolve_root

    path = socket_path(resolve_root(None))
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(1.0)
        conn.connect(str(path))
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
    """The listening socket and its thread, for the life of `hudang watch`."""

    def __init__(self, root: Path) -> None:
        self.path = socket_path(root)
        self.sock: socket.socket | None = None

    def start(self) -> None:
        import threading

        _preload()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)    # a killed service's socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))    # inside the home's private run/ folder
        os.chmod(self.path, 0o600)   # and only this user may connect (each caller's uid is checked too)
        sock.listen(16)
        self.sock = sock
        threading.Thread(target=self._serve, name="hudang-quick-search", daemon=True).start()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        import threading

        sock = self.sock
        while sock is not None and self.sock is sock:
            try:
                conn, _ = sock.accept()
            except OSError:
                return    # closed: the service is stopping
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        fds: list[int] = []
        try:
            uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
            request, fds = _receive(conn)
            if uid != os.getuid() or request is None or len(fds) != 3 or (request.get("argv") or [""])[0] != "search":
                conn.sendall(b'{"fallback": true}')
                return
            pid = os.fork()
            if pid == 0:
                _child(request, fds)    # never returns
            _, status = os.waitpid(pid, 0)
            conn.sendall(json.dumps({"code": os.waitstatus_to_exitcode(status) if not os.WIFSIGNALED(status)
                                     else 1}).encode())
        except OSError:
            pass    # the command went away (Ctrl+C): nothing to answer
        finally:
            for fd in fds:
                os.close(fd)
            conn.close()


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


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the command — its terminal, folder, environment and arguments — and run it."""
    import signal

    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)    # the service's handlers are not the command's
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request.get("cwd") or "/")
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in (request.get("env") or {}).items()})
        # Fresh streams on the command's descriptors: the service's own buffered output must not reach them.
        sys.stdin = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
        argv = [str(a) for a in request.get("argv") or []]
        sys.argv = ["hudang", *argv]
        # the submodule's main (the package's own `main` is the console entry, which would ask us again)
        from hudang.pipeline.cli.main import main as run

        try:
            run(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into the service
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _preload() -> None:
    """What a search imports, imported once in the service, so each forked child has it."""
    import hudang.index.engine  # noqa: F401
    import hudang.pipeline.app.search  # noqa: F401
    import hudang.pipeline.cli.main  # noqa: F401
    from hudang.pipeline.cli import _zhconv_without_pkg_resources

    _zhconv_without_pkg_resources()
