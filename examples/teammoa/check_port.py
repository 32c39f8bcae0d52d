"""Exit at once with a clear message if ``make demo``'s port is taken.

``runserver`` (daphne) only logs "Address already in use" and keeps running.
Usage: ``python check_port.py PORT``; stdlib only, so it runs before the demo's
virtualenv exists.
"""

from __future__ import annotations

import errno
import socket
import sys

HOST = "127.0.0.1"


def port_in_use(port: int, host: str = HOST) -> bool:
    """Return whether a server could not bind ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers do: a port left in TIME_WAIT by a stopped demo is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def main(argv: list[str]) -> int:
    try:
        [port_text] = argv
        port = int(port_text)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        print(f"PORT must be a number from 1 to 65535, not {' '.join(argv)!r}.", file=sys.stderr)
        return 2
    if port_in_use(port):
        suggestion = port + 1 if port < 65535 else 8001
        print(
            f"port {port} is in use; run make demo PORT={suggestion} (or stop what uses it)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
