"""Small loopback HTTP servers for tests, started and stopped promptly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer

# serve_forever checks for shutdown this often; the stdlib default (0.5 s) would make
# every teardown wait that long.
POLL_INTERVAL_S = 0.02


@contextmanager
def serving(httpd: HTTPServer) -> Iterator[HTTPServer]:
    """Serve ``httpd`` on a background thread until the block ends."""
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, daemon=True
    )
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
