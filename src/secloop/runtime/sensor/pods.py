"""Container id -> Kubernetes pod name and namespace, from the kubelet's ``/pods``.

Optional: the sensor asks only when given a kubelet URL (``secloop sensor --kubelet``),
for example the read-only port ``http://127.0.0.1:10255`` or the authenticated
``https://127.0.0.1:10250`` with a service-account token. Without one, or while the
kubelet cannot be reached, ``k8s.pod.name`` and ``k8s.ns.name`` stay absent (rules
comparing them see no value), and the reason is kept in ``notes`` once, not per event.

The pod list is cached; a container id that is not in it triggers a refresh, at most
once per ``refresh_interval`` seconds, so a new pod is known within that delay and an
unknown container never makes the sensor hammer the kubelet.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.errors import Error

__all__ = ["KubeletError", "PodDirectory", "PodRef", "pods_by_container"]

_RUNTIME_PREFIXES = ("docker://", "containerd://", "cri-o://", "podman://")
_STATUS_LISTS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
_MAX_BODY = 64 * 1024 * 1024


class KubeletError(Error):
    """The kubelet URL given cannot be used (not http or https)."""


@dataclass(frozen=True, slots=True)
class PodRef:
    """The pod a container belongs to."""

    name: str
    namespace: str


def pods_by_container(document: Any) -> dict[str, PodRef]:
    """12-character container id -> pod, from a kubelet ``PodList`` (malformed items skipped)."""
    items = document.get("items") if isinstance(document, dict) else None
    found: dict[str, PodRef] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        metadata, status = item.get("metadata"), item.get("status")
        if not isinstance(metadata, dict) or not isinstance(status, dict):
            continue
        pod = PodRef(str(metadata.get("name", "")), str(metadata.get("namespace", "")))
        for key in _STATUS_LISTS:
            for container in status.get(key) or []:
                full = container.get("containerID") if isinstance(container, dict) else None
                if isinstance(full, str) and full:
                    found[_short_id(full)] = pod
    return found


def _short_id(container_id: str) -> str:
    for prefix in _RUNTIME_PREFIXES:
        container_id = container_id.removeprefix(prefix)
    return container_id[:12]


class PodDirectory:
    """Looks pods up by container id; see the module docstring for caching and failures."""

    def __init__(
        self,
        url: str,
        *,
        token_file: Path | None = None,
        ca_file: Path | None = None,
        refresh_interval: float = 10.0,
        timeout: float = 2.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise KubeletError(f"kubelet URL must start with http:// or https://, got {url!r}")
        self.url = url.rstrip("/") + "/pods"
        self.token_file = token_file
        self.ca_file = ca_file
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self.notes: list[str] = []
        self.refreshes = 0
        self._pods: dict[str, PodRef] = {}
        self._refreshed = -refresh_interval

    def lookup(self, container_id: str) -> PodRef | None:
        """The pod of a 12-character container id, or None (unknown or kubelet unreachable)."""
        found = self._pods.get(container_id)
        if found is None and time.monotonic() - self._refreshed >= self.refresh_interval:
            self._refresh()
            found = self._pods.get(container_id)
        return found

    def _refresh(self) -> None:
        self._refreshed = time.monotonic()
        self.refreshes += 1
        try:
            document = json.loads(self._fetch())
        except (OSError, ValueError) as exc:
            note = f"kubelet {self.url} unavailable, pods unknown: {exc}"
            if note not in self.notes and len(self.notes) < 10:
                self.notes.append(note)
            return
        self._pods = pods_by_container(document)

    def _fetch(self) -> bytes:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})  # noqa: S310 - the operator's kubelet URL
        if self.token_file is not None:
            token = self.token_file.read_text().strip()
            request.add_header("Authorization", f"Bearer {token}")
        context = None
        if self.url.startswith("https://"):
            context = ssl.create_default_context(cafile=self.ca_file)
        with urllib.request.urlopen(request, timeout=self.timeout, context=context) as response:  # noqa: S310 - see above
            body: bytes = response.read(_MAX_BODY + 1)
        if len(body) > _MAX_BODY:
            raise ValueError(f"pod list over {_MAX_BODY} bytes")
        return body
