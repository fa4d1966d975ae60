"""A guard for the test suite: any attempt to reach a non-loopback host is refused and recorded.

    install(log_dir)          # patch socket in this process; attempts go to log_dir, one file each
    attempts(log_dir)         # {file name: what was attempted, by which process, with its stack}

`socket.socket.connect` / `connect_ex`, `socket.create_connection` and `socket.getaddrinfo`
refuse any host that is not this machine (loopback, the unspecified address, this machine's own
name and addresses) after writing the attempt, with the Python stack that made it, to a file in
`log_dir`. Libraries often swallow connection errors (a telemetry thread, a "best effort"
kernel download), so the record, not the exception, is what fails a test.

Child processes are guarded too: tests/network_guard_hook/ holds a `sitecustomize.py` that calls
`install` when `EURO_POST_NETWORK_GUARD` names a folder; tests/conftest.py puts that folder on
PYTHONPATH and sets the variable, so every process a test starts (the CLI, torchrun's workers)
records into the same folder.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import socket
import sys
import threading
import traceback
from pathlib import Path

ENV = "EURO_POST_NETWORK_GUARD"
HOOK_DIR = Path(__file__).resolve().parent / "network_guard_hook"

_LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_state: dict = {"log_dir": None, "own": None}
_counter = itertools.count()
# The functions the guard stands in front of, kept before patching so the guard can call them.
_real = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "create_connection": socket.create_connection,
    "getaddrinfo": socket.getaddrinfo,
}


class NetworkAttempt(ConnectionRefusedError):
    """Raised in place of a connection to, or a name look-up of, a host outside this machine."""


def install(log_dir: str | Path) -> None:
    """Guard this process; record attempts into `log_dir` (created if missing). Idempotent."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    _state["log_dir"] = log_dir
    if getattr(socket.socket.connect, "_network_guard", False):
        return
    for name, guarded in (("connect", _connect), ("connect_ex", _connect_ex)):
        guarded._network_guard = True
        setattr(socket.socket, name, guarded)
    _create_connection._network_guard = True
    socket.create_connection = _create_connection
    socket.getaddrinfo = _getaddrinfo


def child_env(env: dict, log_dir: str | Path) -> dict:
    """`env` with what makes a child process guarded, recording into `log_dir`."""
    path = [str(HOOK_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(HOOK_DIR)]
    return {**env, ENV: str(log_dir), "PYTHONPATH": os.pathsep.join(path)}


def attempts(log_dir: str | Path) -> dict[str, str]:
    """Every attempt recorded in `log_dir`: {file name: its text}."""
    log_dir = Path(log_dir)
    if not log_dir.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(log_dir.glob("attempt-*.txt"))}


def _connect(sock, address):
    _check_address(sock, address, "socket.connect")
    return _real["connect"](sock, address)


def _connect_ex(sock, address):
    _check_address(sock, address, "socket.connect_ex")
    return _real["connect_ex"](sock, address)


def _create_connection(address, *args, **kwargs):
    host, port = address[0], address[1]
    if not _is_local(host):
        _refuse(f"socket.create_connection to {host}:{port}")
    return _real["create_connection"](address, *args, **kwargs)


def _getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if not _is_local(name):
        _refuse(f"socket.getaddrinfo of {name}:{port}", gaierror=True)
    return _real["getaddrinfo"](host, port, *args, **kwargs)


def _check_address(sock, address, call: str) -> None:
    # Unix sockets, netlink and the like name no host; only IP sockets can leave the machine.
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return
    if not _is_local(address[0]):
        _refuse(f"{call} to {address[0]}:{address[1]}")


def _is_local(host) -> bool:
    if host is None:
        return True
    host = str(host).strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in _own_names()
    return address.is_loopback or address.is_unspecified or host in _own_addresses()


def _own_names() -> set[str]:
    return {socket.gethostname().lower()}


def _own_addresses() -> set[str]:
    """The addresses this machine's own name resolves to (torchrun may rendezvous on them)."""
    if _state["own"] is None:
        try:
            infos = _real["getaddrinfo"](socket.gethostname(), None)
            _state["own"] = {info[4][0] for info in infos}
        except OSError:
            _state["own"] = set()
    return _state["own"]


def _refuse(what: str, gaierror: bool = False):
    stack = "".join(traceback.format_stack()[:-2])
    text = (
        f"{what}\nprocess {os.getpid()} ({' '.join(sys.argv) or sys.executable}), "
        f"thread {threading.current_thread().name}\n{stack}"
    )
    log_dir = _state["log_dir"]
    if log_dir is not None:
        path = Path(log_dir) / f"attempt-{os.getpid()}-{threading.get_ident()}-{next(_counter)}.txt"
        path.write_text(text, encoding="utf-8")
    message = f"network guard: {what} refused (tests must not leave this machine)"
    if gaierror:
        raise socket.gaierror(socket.EAI_NONAME, message)
    raise NetworkAttempt(message)
