"""uvicorn with a deadline for reading each request, so a client that never finishes its headers or body cannot
hold a connection (and a slot of the server) forever.

uvicorn times out idle keep-alive connections but not a request being read: a "slowloris" client that sends
half a header line, or promises a body it never sends, is waited for indefinitely. `DeadlineH11Protocol` is
uvicorn's own h11 protocol with one timer: armed when a request's first byte arrives (or the connection opens),
it closes the connection if the whole request (headers and body) has not arrived in `read_timeout_s`.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; a request must arrive whole within `read_timeout_s` seconds."""

    read_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        starting = self.conn.their_state is h11.IDLE and not self.conn.trailing_data[0]
        if starting and self._deadline is None:  # the first byte of the next request on a kept-alive connection
            self._arm()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        # IDLE with bytes buffered: headers started, unfinished; SEND_BODY: headers read, body unfinished.
        # IDLE with nothing buffered on a connection that never sent a request: an opened, silent socket.
        reading = self.conn.their_state is h11.SEND_BODY or (
            self.conn.their_state is h11.IDLE and (self.conn.trailing_data[0] or self.cycle is None)
        )
        if reading and not self.transport.is_closing():
            self.logger.info("closing a connection whose request did not arrive within %g s", self.read_timeout_s)
            self.transport.close()


def uvicorn_config(app, host: str, port: int, read_timeout_s: float, log_level: str = "info") -> uvicorn.Config:
    """A uvicorn config for `app` with the request-read deadline (and h11, whatever else is installed)."""
    protocol = type("DeadlineH11", (DeadlineH11Protocol,), {"read_timeout_s": read_timeout_s})
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_level=log_level, timeout_keep_alive=5)
