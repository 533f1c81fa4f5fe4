"""Two image-only scanners, fed by the engine's ``scan_artifact`` hook.

``image-config`` runs the SL-IMG checks over the image configuration and history.
``secret-deleted`` runs the secrets scanner over files a later layer deleted or
replaced: they are gone from the merged view (which every other scanner and analyzer
sees) but still in the image, readable by anyone who pulls it. Both return nothing
for an artifact that is not an image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from secloop.core.errors import Error
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.scan.artifact.image.artifact import DeletedFile, ImageArtifact
from secloop.scan.image_checks.base import CONFIG_PATH, ImageCheck, ImageFacts, ImageHit
from secloop.scan.image_checks.checks import IMAGE_CHECKS
from secloop.scan.interface import Artifact, FileContent, Inventory, PartialFailure, Scanner
from secloop.scan.secrets import SecretsScanner
from secloop.scan.secrets.engine import SecretEngine, default_engine

__all__ = ["DeletedLayerSecretsScanner", "ImageConfigScanner"]


def _today() -> date:
    return datetime.now(UTC).date()


class ImageConfigScanner(Scanner):
    """Image configuration checks; ``today`` is injectable for the end-of-life check."""

    name = "image-config"
    kind = FindingKind.MISCONFIGURATION
    uses_inventory = True

    def __init__(
        self,
        *,
        checks: Sequence[ImageCheck] = IMAGE_CHECKS,
        today: Callable[[], date] = _today,
        secrets: SecretEngine | None = None,
    ) -> None:
        self._checks = tuple(checks)
        self._today = today
        self._secrets = secrets

    def rules(self) -> Sequence[Rule]:
        return tuple(check.rule for check in self._checks)

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure]:
        if not isinstance(artifact, ImageArtifact):
            return []
        facts = ImageFacts(
            config=artifact.config,
            layers=artifact.layers,
            origin=artifact.origin,
            operating_system=inventory.operating_system,
            today=self._today(),
            secrets=self._secrets or default_engine(),
        )
        return [_finding(check, hit) for check in self._checks for hit in check.evaluate(facts)]


def _finding(check: ImageCheck, hit: ImageHit) -> Finding:
    rule = check.rule
    location = Location(layer=hit.layer) if hit.layer else Location(path=CONFIG_PATH)
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=rule.id,
        severity=rule.severity,
        title=rule.title,
        message=hit.message,
        location=location,
        scanner=ImageConfigScanner.name,
        anchor=hit.anchor,
        evidence=hit.evidence,
        remediation=rule.remediation,
        references=rule.references,
        frameworks=rule.frameworks,
    )


class DeletedLayerSecretsScanner(Scanner):
    """The secrets scanner over deleted and replaced files of lower layers.

    Bounded like the view: files the secrets scanner would skip by name or size are
    not read, nor files over ``ScanLimits.max_file_bytes``; at most
    ``ImageLimits.max_deleted_files`` are remembered (the rest are in the coverage
    manifest); each layer holding any is read once, front to back.
    """

    name = "secret-deleted"
    kind = FindingKind.SECRET

    def __init__(self, secrets: SecretsScanner | None = None) -> None:
        self._secrets = secrets or SecretsScanner()

    def rules(self) -> Sequence[Rule]:
        return self._secrets.rules()

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterator[Finding | PartialFailure]:
        if not isinstance(artifact, ImageArtifact):
            return
        wanted = [d for d in artifact.deleted_files() if self._secrets.applies_to(d.entry)]
        for item, data in artifact.read_deleted(wanted):
            if isinstance(data, str):
                yield PartialFailure(reason=f"{_where(item)}: {data}")
                continue
            content = FileContent(entry=item.entry, data=data)
            if content.is_binary:
                continue
            try:
                found = list(self._secrets.scan_file(content))
            except Error as err:
                yield PartialFailure(reason=f"{_where(item)}: {err}")
                continue
            for result in found:
                if isinstance(result, PartialFailure):
                    yield PartialFailure(reason=f"{_where(item)}: {result.reason}")
                else:
                    yield _deleted_finding(result, item)


def _where(item: DeletedFile) -> str:
    added = item.entry.layer.index if item.entry.layer else "?"
    return f"{item.entry.path} (layer {added}, deleted in layer {item.deleted_in.index})"


def _deleted_finding(finding: Finding, item: DeletedFile) -> Finding:
    """The secret's finding, told as deleted: the message names the layer that removed
    the file, and the anchor differs from a live copy of the same secret at that path."""
    deleted = item.deleted_in
    command = f" ({deleted.created_by})" if deleted.created_by else ""
    added = item.entry.layer.index if item.entry.layer else "?"
    message = finding.message.removesuffix(" committed in the file")
    return replace(
        finding,
        message=(
            f"{message} in a file deleted in layer {deleted.index}{command}; still in "
            f"layer {added}, readable by anyone who pulls the image"
        ),
        anchor=f"deleted:{finding.anchor}",
        scanner=DeletedLayerSecretsScanner.name,
    )
