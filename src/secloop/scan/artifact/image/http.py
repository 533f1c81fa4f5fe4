"""The HTTP transport behind the registry client, and its fake-able interface.

The standard library's ``urllib.request`` is enough: one GET at a time, TLS with the
system store or a custom CA file, a timeout on every socket operation (a stalled
connection fails instead of hanging), redirects followed for blob downloads. The
``Authorization`` header is added as an *unredirected* header, so a redirect to a
storage host (S3, a CDN) never receives the registry's credentials.
"""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from secloop.scan.artifact.image.interface import RegistryError

_TLS_HINT = "; a plain-HTTP registry needs --insecure-registry, a private CA --ca-file"

__all__ = ["HttpResponse", "TransientError", "Transport", "UrllibTransport", "read_limited"]

_CHUNK = 1024 * 1024
_STALLED = "connection stalled (no data within the --timeout)"


class TransientError(RegistryError):
    """The connection failed or stalled: worth retrying."""


class _Body(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: _Body

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self.body.read(_CHUNK):
                yield chunk
        except TimeoutError:
            raise TransientError(_STALLED + " while reading") from None
        except (OSError, http.client.HTTPException) as err:
            raise TransientError(f"connection broken while reading ({err})") from None
        finally:
            self.body.close()


class Transport(Protocol):
    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse: ...


def read_limited(response: HttpResponse, limit: int, what: str) -> bytes:
    data = bytearray()
    for chunk in response.chunks():
        data += chunk
        if len(data) > limit:
            response.body.close()
            raise RegistryError(f"{what}: response larger than {limit} bytes")
    return bytes(data)


class UrllibTransport:
    def __init__(self, *, ca_file: Path | None = None, timeout: float = 30.0) -> None:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self._timeout = timeout

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - http(s) only
        for name, value in headers.items():
            if name.lower() == "authorization":
                request.add_unredirected_header(name, value)
            else:
                request.add_header(name, value)
        try:
            response = self._opener.open(request, timeout=self._timeout)
        except urllib.error.HTTPError as err:
            lowered = {k.lower(): v for k, v in err.headers.items()}
            return HttpResponse(status=err.code, headers=lowered, body=err)
        except ssl.SSLError as err:
            raise RegistryError(f"{url}: TLS failure ({err.reason or err}){_TLS_HINT}") from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, ssl.SSLError):
                raise RegistryError(f"{url}: TLS failure ({err.reason}){_TLS_HINT}") from None
            if isinstance(err.reason, TimeoutError):
                raise TransientError(f"{url}: {_STALLED}") from None
            raise TransientError(f"{url}: cannot connect ({err.reason})") from None
        except TimeoutError:
            raise TransientError(f"{url}: {_STALLED}") from None
        except (OSError, http.client.HTTPException) as err:
            raise TransientError(f"{url}: connection failed ({err})") from None
        lowered = {k.lower(): v for k, v in response.headers.items()}
        return HttpResponse(status=response.status, headers=lowered, body=response)
