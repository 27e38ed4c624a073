"""uvicorn's h11 protocol with deadlines for slow clients: request headers and request bodies.

uvicorn closes an idle keep-alive connection, but one whose request headers never complete (a slowloris) or
whose body stops half-way stays open for ever, holding a connection slot each. Here:

- the request line and headers must arrive within `header_timeout_s` of their first byte (or of the
  connection opening): otherwise the connection is closed;
- a request body may pause at most `body_timeout_s` between chunks: otherwise the server answers
  408 Request Timeout (when no response has started) and closes the connection. The application sees the
  client as disconnected (starlette's ClientDisconnect).
"""
from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 30.0


class DeadlineH11Protocol(H11Protocol):
    header_timeout_s = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s = DEFAULT_BODY_TIMEOUT_S

    _header_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._rearm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    def _rearm(self) -> None:
        """Called after every chunk: which part of a request are we waiting for now?"""
        state = self.conn.their_state
        if state is h11.IDLE:  # part of a request line or headers: the deadline runs from the first byte
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)
        elif state is h11.SEND_BODY:  # headers complete, body under way: a stall deadline, reset per chunk
            self._cancel_header_timer()
            self._cancel_body_timer()
            self._body_timer = self.loop.call_later(self.body_timeout_s, self._body_too_slow)
        else:  # the request is complete (or the connection is closing): the app's turn, no client deadline
            self._cancel_header_timer()
            self._cancel_body_timer()

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("request headers from %s incomplete after %ss: connection closed",
                             self.client, self.header_timeout_s)
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        self.logger.info("request body from %s stalled for %ss: 408, connection closed",
                         self.client, self.body_timeout_s)
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            message = f"request body stalled for more than {self.body_timeout_s} s".encode()
            try:
                self.transport.write(self.conn.send(h11.Response(status_code=408, reason=b"Request Timeout", headers=[
                    (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(message)).encode()),
                    (b"connection", b"close")])))
                self.transport.write(self.conn.send(h11.Data(data=message)))
                self.transport.write(self.conn.send(h11.EndOfMessage()))
            except h11.LocalProtocolError:  # h11 refused the early response: closing is answer enough
                pass
        if cycle is not None:  # the app's receive() returns http.disconnect; its own response is dropped
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()


def deadline_protocol(header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
                      body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S) -> type[DeadlineH11Protocol]:
    """The protocol class to pass as uvicorn.Config(http=...), with these deadlines."""
    for name, value in (("header_timeout_s", header_timeout_s), ("body_timeout_s", body_timeout_s)):
        if not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,),
                {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s})
