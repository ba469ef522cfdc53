"""A server that drips its answer byte by byte is cut off by the overall request deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from evidence.domain.errors import TransientPubMedError

BODY = (
    b'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>1</Count><RetMax>1</RetMax>'
    b"<RetStart>0</RetStart><IdList><Id>1</Id></IdList></eSearchResult>\n"
)


@dataclass
class DripServer:
    """Raw socket server: answers every request with headers, then one byte every ``gap`` s."""

    url: str
    connections: list[float]


@pytest.fixture
def drip_server() -> Iterator[DripServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    server = DripServer(f"http://127.0.0.1:{listener.getsockname()[1]}/", [])

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
            conn.sendall(head)
            for byte in BODY:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up: that is the point
                time.sleep(0.02)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections.append(time.monotonic())
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(2)
    listener.close()


def test_slow_drip_hits_the_deadline_not_the_socket_timeout(
    drip_server: DripServer, eutils_client_factory: Callable[..., Any]
) -> None:
    client = eutils_client_factory(
        drip_server, real_time=True, read_timeout=1.0, request_deadline=0.4, max_attempts=2
    )
    started = time.monotonic()
    with pytest.raises(TransientPubMedError) as caught:
        client.esearch("t")
    elapsed = time.monotonic() - started
    assert "slow response" in str(caught.value) and "0.4 s" in str(caught.value)
    assert len(drip_server.connections) == 2  # retried once, then gave up
    assert elapsed < 3.0  # the whole answer would take ~2.6 s per attempt


def test_a_slow_but_timely_answer_is_accepted(
    drip_server: DripServer, eutils_client_factory: Callable[..., Any]
) -> None:
    client = eutils_client_factory(drip_server, real_time=True, request_deadline=10.0)
    assert client.esearch("t").pmids == ("1",)
