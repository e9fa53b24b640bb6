"""Connections pinned to checked addresses, and a deadline that holds for a whole transfer.

A socket timeout bounds each read, not the transfer: a site that sends a byte just before
every timeout could hold a fetch for ever. `Deadline` cuts the connection (shuts its socket
down from a timer thread) when the time for the whole fetch is up, whatever phase it is in:
TLS handshake, headers or body. The blocked read then ends at once and the caller sees
`Deadline.expired`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time

# (family, sockaddr) pairs, as socket.getaddrinfo gives them.
Addresses = list[tuple[int, tuple]]


class Deadline:
    """One point in time for a whole fetch; `watch` arms it for one connection at a time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def watch(self) -> None:
        """Start the timer for the connection about to be made (see `attach`)."""
        self._timer = threading.Timer(max(self.remaining(), 0.0), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        """The socket to cut; TimeoutError when the time ran out while connecting."""
        with self._lock:
            self._fd = sock.fileno()
            if self.expired:
                raise TimeoutError("the deadline passed while connecting")

    def release(self) -> None:
        """Before the connection closes: its file descriptor may then be reused elsewhere."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._fd = None

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            if self._fd is None:
                return
            # By descriptor, so it works the same under TLS; detach so the socket object
            # made here does not close the descriptor its owner still holds.
            sock = socket.socket(fileno=self._fd)
            try:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.detach()


def connect(addresses: Addresses, timeout: float, deadline: Deadline) -> socket.socket:
    error: OSError = OSError("no address to connect to")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(max(min(timeout, deadline.remaining()), 0.001))
            sock.connect(sockaddr)
            sock.settimeout(timeout)
            deadline.attach(sock)
            return sock
        except OSError as e:
            sock.close()
            error = e
    raise error


class PinnedHTTP(http.client.HTTPConnection):
    """Connects to addresses already checked, never to a fresh DNS answer."""

    def __init__(
        self, host: str, port: int, addresses: Addresses, timeout: float, deadline: Deadline
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = connect(self.addresses, self.timeout, self.deadline)


class PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, addresses: Addresses, timeout: float, deadline: Deadline
    ) -> None:
        self.tls = ssl.create_default_context()  # verifies the certificate against the host
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        sock = connect(self.addresses, self.timeout, self.deadline)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
