"""Images straight from a registry, through the OCI distribution API (GET only).

Network is used only here, and only when the user gave a registry reference.

Steps for every image (security-relevant ones marked):
(1) HTTPS, with the system CA store or ``ca_file``; plain HTTP only for hosts the user
    listed as insecure;
(2) a 401 is answered once per challenge: Basic with the credentials, or Bearer with a
    token fetched from the challenge's realm (credentials sent only to that realm);
(3) 429 and 5xx answers, broken and stalled connections are retried with exponential
    backoff (``Retry-After`` honoured up to a cap); other errors fail at once;
(4) a manifest asked for by digest must hash to it; one asked for by tag must hash to
    the ``Docker-Content-Digest`` header when the registry sends it; indexes are
    followed by digest, each child verified the same way;
(5) every blob is downloaded into the blob cache, bounded by and checked against its
    descriptor's size and digest (:mod:`.cache`), and verified again as it is read.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path

from secloop.core.target import Target, TargetKind
from secloop.scan.artifact.image.auth import Challenge, Credentials, parse_challenge
from secloop.scan.artifact.image.cache import BlobCache
from secloop.scan.artifact.image.digest import compute_digest, verified_stream
from secloop.scan.artifact.image.http import (
    HttpResponse,
    TransientError,
    Transport,
    read_limited,
)
from secloop.scan.artifact.image.interface import (
    Descriptor,
    DigestMismatchError,
    ImageError,
    ImageLimits,
    ImageOrigin,
    ImageSource,
    LayerBlob,
    Platform,
    RegistryAuthError,
    RegistryError,
    ResolvedImage,
)
from secloop.scan.artifact.image.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    build_resolved,
    descend,
    parse_config,
    parse_document,
)
from secloop.scan.artifact.image.reference import ImageReference

__all__ = ["RegistryClient", "RegistrySettings", "RegistrySource"]

logger = logging.getLogger(__name__)
_ACCEPT = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))
_MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrySettings:
    insecure_hosts: frozenset[str] = frozenset()
    credentials: Credentials | None = None
    platform: Platform | None = None
    retries: int = 4
    backoff_seconds: float = 0.5
    limits: ImageLimits = field(default_factory=ImageLimits)


def _error_message(response: HttpResponse) -> str:
    try:
        document = json.loads(read_limited(response, 64 * 1024, "error body"))
        errors = document.get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or ""
    except (ValueError, AttributeError, RegistryError):
        return ""


class RegistryClient:
    """GET requests to one repository, with auth and retries (steps 1-3)."""

    def __init__(
        self,
        reference: ImageReference,
        transport: Transport,
        settings: RegistrySettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reference = reference
        scheme = "http" if reference.registry in settings.insecure_hosts else "https"  # (1)
        self.base = f"{scheme}://{reference.registry}/v2/{reference.repository}"
        self._transport = transport
        self._settings = settings
        self._sleep = sleep
        self._authorization: str | None = None
        self._last_transient = "unreachable"

    def get(self, path: str, *, accept: str | None = None) -> HttpResponse:
        """A 2xx response for ``base + path``; RegistryError otherwise."""
        url = self.base + path
        challenged: set[str] = set()
        attempt = 0
        while True:
            response = self._send(url, accept)
            if response is None or response.status == 429 or response.status >= 500:
                attempt += 1
                self._backoff(url, attempt, response)  # (3)
                continue
            if response.status == 401 and self._answer(response, challenged):  # (2)
                continue
            if 200 <= response.status < 300:
                return response
            raise self._failure(url, response)

    def _send(self, url: str, accept: str | None) -> HttpResponse | None:
        headers = {"Accept": accept} if accept else {}
        if self._authorization:
            headers["Authorization"] = self._authorization
        try:
            return self._transport.get(url, headers)
        except TransientError as err:
            logger.debug("%s", err)
            self._last_transient = str(err)
            return None

    def _backoff(self, url: str, attempt: int, response: HttpResponse | None) -> None:
        if attempt >= self._settings.retries:
            if response is None:
                raise RegistryError(
                    f"{self.reference}: {self._last_transient}; gave up after {attempt} attempts"
                )
            raise self._failure(url, response)
        delay = self._delay(attempt)
        if response is not None:
            response.body.close()
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit():
                delay = min(float(retry_after), _MAX_RETRY_AFTER)
        self._sleep(delay)

    def _delay(self, attempt: int) -> float:
        """Exponential backoff: ``backoff_seconds`` doubled after each failed attempt."""
        return self._settings.backoff_seconds * 2.0 ** (attempt - 1)

    def pause(self, attempt: int) -> None:
        """Wait before retrying after failed attempt number ``attempt`` (from 1)."""
        self._sleep(self._delay(attempt))

    def _failure(self, url: str, response: HttpResponse) -> RegistryError:
        detail = _error_message(response)
        what = f"{self.reference}: {url} answered {response.status}"
        what += f" ({detail})" if detail else ""
        if response.status in (401, 403):
            return RegistryAuthError(what + "; check the credentials (--username, docker login)")
        if response.status == 404:
            return RegistryError(what + "; the image or blob does not exist")
        return RegistryError(what)

    def _answer(self, response: HttpResponse, challenged: set[str]) -> bool:
        header = response.headers.get("www-authenticate", "")
        challenge = parse_challenge(header)
        if challenge is None or header in challenged:
            return False
        challenged.add(header)
        response.body.close()
        credentials = self._settings.credentials
        if challenge.scheme == "basic":
            if credentials is None:
                return False
            self._authorization = credentials.basic_header()
            return True
        if challenge.scheme == "bearer":
            self._authorization = "Bearer " + self._token(challenge, credentials)
            return True
        return False

    def _token(self, challenge: Challenge, credentials: Credentials | None) -> str:
        realm = challenge.params.get("realm", "")
        if urllib.parse.urlsplit(realm).scheme not in ("http", "https"):
            raise RegistryAuthError(f"{self.reference}: token realm {realm!r} is not a URL")
        scope = challenge.params.get("scope") or f"repository:{self.reference.repository}:pull"
        query = {"scope": scope}
        if "service" in challenge.params:
            query["service"] = challenge.params["service"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        headers = {"Authorization": credentials.basic_header()} if credentials else {}
        try:
            response = self._transport.get(url, headers)
        except TransientError as err:
            raise RegistryError(f"{self.reference}: token service: {err}") from None
        if response.status != 200:
            raise RegistryAuthError(
                f"{self.reference}: token service {realm} answered {response.status}"
            )
        body = read_limited(response, 1024 * 1024, "token response")
        try:
            document = json.loads(body)
            token = document.get("token") or document.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryAuthError(f"{self.reference}: token service sent no token")
        return token


class RegistrySource(ImageSource):
    """An image in a registry; blobs go through the local cache (steps 4-5)."""

    def __init__(
        self,
        reference: ImageReference,
        *,
        name: str,
        transport: Transport,
        cache: BlobCache,
        settings: RegistrySettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._reference = reference
        self._name = name
        self._cache = cache
        self._settings = settings
        self._limits = settings.limits
        self._client = RegistryClient(reference, transport, settings, sleep=sleep)
        self._target = Target(kind=TargetKind.REGISTRY_IMAGE, name=name)

    @property
    def target(self) -> Target:
        return self._target

    @property
    def origin(self) -> ImageOrigin:
        return ImageOrigin(
            reference=str(self._reference),
            pinned_by_digest=self._reference.digest is not None,
            plain_http=self._reference.registry in self._settings.insecure_hosts,
        )

    def _manifest(self, reference: str, expected: str | None) -> tuple[bytes, str]:
        """The manifest bytes and their digest, checked against ``expected`` (4)."""
        response = self._client.get(f"/manifests/{reference}", accept=_ACCEPT)
        header = response.headers.get("docker-content-digest")
        data = read_limited(response, self._limits.max_manifest_bytes, f"{self._name} manifest")
        algorithm = (expected or header or "sha256:").split(":", 1)[0]
        actual = compute_digest(data, "sha512" if algorithm == "sha512" else "sha256")
        for claimed in (expected, header):
            if claimed and claimed.startswith(f"{algorithm}:") and claimed != actual:
                raise DigestMismatchError(
                    f"{self._name}: manifest {reference} hashes to {actual}, expected {claimed}"
                )
        return data, actual

    def _fetch_manifest(self, descriptor: Descriptor) -> bytes:
        if descriptor.digest is None:  # pragma: no cover - parsed descriptors have one
            raise ImageError(f"{self._name}: index entry without a digest")
        return self._manifest(descriptor.digest, descriptor.digest)[0]

    def resolve(self) -> ResolvedImage:
        data, digest = self._manifest(self._reference.reference, self._reference.digest)
        manifest, digest_of = descend(
            parse_document(data, f"{self._name} manifest"),
            digest=digest,
            fetch=self._fetch_manifest,
            platform=self._settings.platform,
            max_depth=self._limits.max_index_depth,
            what=self._name,
        )
        if len(manifest.layers) > self._limits.max_layers:
            raise ImageError(f"{self._name}: more than {self._limits.max_layers} layers")
        config_path = self._blob(manifest.config, self._limits.max_config_bytes, "config")
        config = parse_config(config_path.read_bytes(), f"{self._name} config")
        self._target = Target(kind=TargetKind.REGISTRY_IMAGE, name=self._name, digest=digest_of)
        return build_resolved(
            manifest_digest=digest_of,
            config_digest=manifest.config.digest,
            layers=manifest.layers,
            config=config,
            what=self._name,
        )

    def _blob(self, descriptor: Descriptor, limit: int, what: str) -> Path:
        digest = descriptor.digest
        if digest is None:  # pragma: no cover - parsed descriptors have one
            raise ImageError(f"{self._name}: {what} without a digest")
        if descriptor.size is not None and descriptor.size > limit:
            raise ImageError(f"{self._name}: {what} {digest} is over the {limit} byte limit")
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        label = f"{self._name} {what} {digest}"
        for attempt in range(1, self._settings.retries + 1):
            response = self._client.get(f"/blobs/{digest}")
            try:
                return self._cache.store(digest, descriptor.size, response.chunks(), label)
            except DigestMismatchError as err:
                if attempt == self._settings.retries:
                    raise
                logger.debug("retrying %s: %s", label, err)
            except TransientError as err:  # the read broke or stalled: name image and blob
                if attempt == self._settings.retries:
                    raise RegistryError(
                        f"{label}: {err}; gave up after {attempt} attempts"
                    ) from None
                logger.debug("retrying %s: %s", label, err)
                self._client.pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def open_blob(self, layer: LayerBlob) -> BufferedReader:
        descriptor = layer.descriptor
        path = self._blob(descriptor, self._limits.max_blob_bytes, f"layer {layer.index}")
        what = f"{self._name} layer {layer.index} ({descriptor.digest})"
        return verified_stream(
            path.open("rb"),
            digest=descriptor.digest or "",
            expected_size=descriptor.size,
            what=what,
        )
