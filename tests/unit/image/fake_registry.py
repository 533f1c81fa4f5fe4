"""An in-memory registry behind the Transport interface: the fake for unit tests.

It answers the distribution API's GETs for images built with ``builders``, can demand
Basic or Bearer auth (with a token realm on another host), and can be told to fail a
URL a number of times with a status, to exercise retries.
"""

from __future__ import annotations

import base64
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from secloop.scan.artifact.image.http import HttpResponse, TransientError
from tests.unit.image.builders import OCI_MANIFEST, Image, sha256

HOST = "registry.test"
REALM = "https://auth.test/token"


@dataclass
class FakeRegistry:
    auth: str = "none"  # none | basic | bearer
    user: str = "alice"
    password: str = "s3cret"
    manifests: dict[str, bytes] = field(default_factory=dict)  # tag or digest -> bytes
    blobs: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def push(self, repository: str, tag: str, image: Image) -> str:
        manifest = image.manifest()
        self.blobs.update(image.blobs)
        digest = sha256(manifest)
        self.manifests[f"{repository}:{tag}"] = manifest
        self.manifests[f"{repository}@{digest}"] = manifest
        return digest

    def _basic(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        given = headers.get("Authorization")
        if self.auth == "basic":
            return given == self._basic()
        if self.auth == "bearer":
            return given == "Bearer good-token"
        return True

    def get(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        self.requests.append((url, dict(headers)))
        if url.startswith(REALM):
            return self._token(headers)
        queued = self.failures.get(url)
        if queued:
            status = queued.pop(0)
            if status == 0:
                raise TransientError(f"{url}: connection reset")
            return _response(status, b"{}", {"retry-after": "1"} if status == 429 else {})
        if not self._authorized(headers):
            challenge = (
                'Basic realm="registry"'
                if self.auth == "basic"
                else f'Bearer realm="{REALM}",service="{HOST}",scope="repository:app:pull"'
            )
            return _response(401, b"{}", {"www-authenticate": challenge})
        return self._serve(url)

    def _token(self, headers: Mapping[str, str]) -> HttpResponse:
        if headers.get("Authorization") != self._basic():
            return _response(401, b"{}", {})
        return _response(200, json.dumps({"token": "good-token"}).encode(), {})

    def _serve(self, url: str) -> HttpResponse:
        path = url.split(f"{HOST}/v2/", 1)[1]
        repository, kind, reference = path.rpartition("/")[0].rpartition("/")[0], "", ""
        repository, _, rest = path.partition("/")
        kind, _, reference = rest.partition("/")
        if kind == "manifests":
            key = f"{repository}@{reference}" if ":" in reference else f"{repository}:{reference}"
            data = self.manifests.get(key)
            extra = {"content-type": OCI_MANIFEST, "docker-content-digest": sha256(data or b"")}
        else:
            data, extra = self.blobs.get(reference), {}
        if data is None:
            body = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "not found"}]}
            return _response(404, json.dumps(body).encode(), {})
        return _response(200, data, extra)


def _response(status: int, body: bytes, headers: dict[str, str]) -> HttpResponse:
    return HttpResponse(status=status, headers=headers, body=io.BytesIO(body))
