"""The HTTP transport seam: one POST to an E-utilities endpoint, read in full under a deadline.

Tests point it at a loopback server through the base URL (or hand in a ``requests.Session``).
It knows nothing of NCBI etiquette, which :mod:`evidence.sources.eutils.client` owns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
import urllib3

from evidence.settings import EutilsSettings

CHUNK_SIZE = 64 * 1024


class SlowResponse(requests.exceptions.ReadTimeout):
    """The whole answer did not arrive within the request deadline (slow drip)."""


class ResponseTooLarge(requests.RequestException):
    """The answer is larger than the endpoint's limit: refused, reading stops at the limit."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit = limit
        said = f" (Content-Length {declared:,})" if declared is not None else ""
        super().__init__(f"answer over {limit:,} bytes{said}")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer read in full."""

    status: int
    headers: Mapping[str, str]  # case-insensitive, as requests gives them
    body: bytes


class HttpTransport:
    """POSTs form-encoded parameters; never GET, so no parameter (the key) sits in a URL."""

    def __init__(
        self,
        settings: EutilsSettings,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._session = session if session is not None else requests.Session()
        self._owns_session = session is None
        self._clock = clock

    def post(
        self,
        endpoint: str,
        params: Mapping[str, str],
        *,
        budget: float | None = None,
        max_bytes: int | None = None,
    ) -> Reply:
        """Send one request; raise a ``requests`` exception on transport failure.

        The body is read as it arrives under an overall deadline, so a server that
        drips bytes slowly cannot hold a request open past ``request_deadline``.
        ``budget`` (seconds) cuts the timeouts and that deadline shorter still.
        ``max_bytes``: a larger answer raises :class:`ResponseTooLarge` as soon as it shows
        (its Content-Length, or the bytes read): memory stays bounded by the limit.
        """
        url = self.settings.base_url.rstrip("/") + "/" + endpoint
        limit = float("inf") if budget is None else budget
        timeout = (
            min(self.settings.connect_timeout, limit),
            min(self.settings.read_timeout, limit),
        )
        deadline = self._clock() + min(self.settings.request_deadline, limit)
        with self._session.post(url, data=dict(params), timeout=timeout, stream=True) as response:
            _check_declared_length(response, max_bytes)
            body = self._read_body(response, deadline, max_bytes)
            return Reply(response.status_code, response.headers, body)

    def close(self) -> None:
        """Close the HTTP session if this transport created it."""
        if self._owns_session:
            self._session.close()

    def _read_body(
        self, response: requests.Response, deadline: float, max_bytes: int | None
    ) -> bytes:
        """Read the body; urllib3's errors become requests' (as ``iter_content`` does)."""
        chunks = []
        size = 0
        try:
            # read1 returns whatever has arrived, so the deadline is checked as bytes come in.
            while chunk := response.raw.read1(CHUNK_SIZE, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ResponseTooLarge(max_bytes)
                if self._clock() > deadline:
                    raise SlowResponse(
                        f"answer not complete after {self.settings.request_deadline:g} s"
                    )
        except urllib3.exceptions.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from None
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        return b"".join(chunks)


def _check_declared_length(response: requests.Response, max_bytes: int | None) -> None:
    """Refuse at once an answer whose Content-Length is over the limit."""
    declared = response.headers.get("Content-Length", "")
    if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(max_bytes, int(declared))


def unreachable_cause(exc: requests.RequestException) -> tuple[str, bool] | None:
    """(cause, retry) when ``exc`` says the server cannot be reached at all, else None.

    A DNS or TLS failure will not heal within a run (no retry); a refused or timed-out
    connection may be a restart (retried, then the whole refresh stops).
    """
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failure", False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out", True
    if not isinstance(exc, requests.ConnectionError):
        return None
    text = repr(exc)
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "DNS failure: the host name does not resolve", False
    if "ConnectionRefusedError" in text or "Connection refused" in text:
        return "connection refused", True
    if "NewConnectionError" in text:
        return "cannot open a connection", True
    return None


def retry_cause(exc: requests.RequestException) -> str | None:
    """The retry cause of a transport failure; None if retrying cannot help."""
    if isinstance(exc, SlowResponse):
        return f"slow response: {exc}"
    if isinstance(exc, requests.Timeout):
        return "Timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "ChunkedEncodingError"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "ContentDecodingError"
    if isinstance(exc, requests.ConnectionError):
        return "ConnectionError"
    return None
