"""Running the web app with uvicorn: in the foreground for ``newstrace serve``, or in a
background thread on a free loopback port for the browser tests and the screenshots."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False,
          workers_log: str = "warning") -> None:
    """Serve the UI for ``db_path`` until interrupted. Non-loopback hosts need ``allow_remote``:
    the UI has no authentication, and the store may hold unpublished research."""
    import uvicorn

    from .app import create_app

    check_host(host, allow_remote)
    allowed = None if allow_remote else ["127.0.0.1", "localhost"]
    app = create_app(db_path, allowed_hosts=allowed)
    uvicorn.run(app, host=host, port=port, log_level=workers_log, access_log=False)


def check_port(host: str, port: int) -> None:
    """Refuse, before saying "Serving", a port that another program already listens on."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            raise InputError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc} (another `newstrace serve` or "
                f"another program may be using it). Choose another port, e.g. --port {port + 1}.") from None


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless asked: the UI has no login."""
    if not is_loopback(host) and not allow_remote:
        raise InputError(
            f"Refusing to serve on {host!r}: the UI has no login, so anyone who can reach that address "
            "could read the store. Use --host 127.0.0.1, or pass --allow-remote if you really mean it.")


@contextmanager
def background_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` with uvicorn in a daemon thread; yield its base URL; stop it afterwards."""
    import uvicorn

    port = free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="newstrace-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("The web server did not start within 20 s.")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
