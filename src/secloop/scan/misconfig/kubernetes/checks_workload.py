"""Checks of workload hygiene: resources, probes, images, credentials, service accounts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.misconfig.kubernetes.base import (
    ContainerCheck,
    Hit,
    WorkloadCheck,
    k8s_rule,
)
from secloop.scan.misconfig.kubernetes.model import Container, Workload, as_list, as_map

__all__ = [
    "WORKLOAD_CHECKS",
    "ImageRef",
    "is_placeholder",
    "is_sensitive_name",
    "is_valid_digest",
    "looks_like_secret",
    "parse_image",
]

_RESOURCES_DOC = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
_PROBES_DOC = (
    "https://kubernetes.io/docs/tasks/configure-pod-container/"
    "configure-liveness-readiness-startup-probes/"
)
_IMAGES_DOC = "https://kubernetes.io/docs/concepts/containers/images/"
_SECRETS_DOC = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
_SA_DOC = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
_DOS = {"mitre-attack-containers": ("T1499",)}

_SENSITIVE_NAME = re.compile(
    r"(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential"
    r"|access[_-]?key|auth[_-]?key|client[_-]?secret)",
    re.IGNORECASE,
)
_NOT_A_VALUE_SUFFIX = re.compile(r"(_FILE|_PATH|_DIR|_NAME|_REF|_LENGTH|_TTL|_EXPIRY)$", re.I)
_SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|gh[pousr]_[A-Za-z0-9]{36}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|glpat-[A-Za-z0-9_-]{20}"
    # An Authorization header value written out: the token is the credential.
    r"|\b[Bb](?i:earer) [A-Za-z0-9._~+/-]{8,}=*$)"
)
_PLACEHOLDER = re.compile(
    r"^(\$\(.+\)|\$\{.+\}|<.+>|changeme|xxx+|\*+|true|false|none|null)$", re.I
)


def is_placeholder(text: str) -> bool:
    """``${VAR}``, ``<value>``, ``changeme``, ``xxxx``: a slot for a value, not a value."""
    return _PLACEHOLDER.match(text.strip()) is not None


def is_sensitive_name(name: str) -> bool:
    """A variable or key name that usually holds a credential (``DB_PASSWORD``, ``API_TOKEN``)."""
    return bool(_SENSITIVE_NAME.search(name)) and not _NOT_A_VALUE_SUFFIX.search(name)


def looks_like_secret(name: str, value: object) -> bool:
    """A literal credential: a known token format, or a real-looking value under a secret name."""
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    if _SECRET_VALUE.search(text):
        return True
    if not is_sensitive_name(name) or _PLACEHOLDER.match(text) or text.startswith("/"):
        return False
    return len(text) >= 4 and not _names_itself(name, text)


_IDENTIFIER = re.compile(r"[A-Za-z0-9_.-]+")


def _names_itself(name: str, text: str) -> bool:
    """``GOOGLE_API_KEY: GOOGLE_API_KEY_VAL`` or ``YOUR_API_KEY``: a slot a deploy step fills.

    A value that is a bare identifier spelling out the variable's own name is a marker
    for ``sed``/envsubst, not a credential (microservices-demo ships such manifests).
    """
    if _IDENTIFIER.fullmatch(text) is None:
        return False
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    prefix, found, suffix = re.sub(r"[^a-z0-9]", "", text.lower()).partition(key)
    return len(key) >= 4 and bool(found) and prefix in _SLOT_PREFIXES and suffix in _SLOT_SUFFIXES


#: Words around the variable's own name in a fill-me-in value (``password123`` is no slot).
_SLOT_PREFIXES = frozenset({"", "your", "my", "enter", "insert", "the"})
_SLOT_SUFFIXES = frozenset({"", "val", "value", "here", "goeshere", "placeholder"})


@dataclass(frozen=True, slots=True)
class ImageRef:
    name: str
    tag: str | None
    digest: str | None


#: OCI image-spec digests: registered algorithms have a fixed lowercase-hex length;
#: others follow the generic ``algorithm:encoded`` grammar (image-spec descriptor.md).
_REGISTERED_DIGESTS = {"sha256": 64, "sha512": 128, "blake3": 64}
_DIGEST = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)")
_HEX = re.compile(r"[a-f0-9]+")


def is_valid_digest(digest: str) -> bool:
    """Whether ``digest`` is one a registry can resolve (``sha256:<64 hex>``, ...).

    A malformed digest (too short, upper-case hex) does not pin anything: the pull fails,
    or a tool that falls back to the tag pulls whatever the tag points at.
    """
    match = _DIGEST.fullmatch(digest)
    if match is None:
        return False
    algorithm, encoded = match.groups()
    length = _REGISTERED_DIGESTS.get(algorithm)
    if length is None:
        return True
    return len(encoded) == length and _HEX.fullmatch(encoded) is not None


def parse_image(reference: str) -> ImageRef:
    """Split ``registry/name:tag@digest``; a ``:`` before the last ``/`` is a registry port."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return ImageRef(rest[:colon], rest[colon + 1 :] or None, digest or None)
    return ImageRef(rest, None, digest or None)


def _image(container: Container) -> str | None:
    image = container.spec.get("image")
    return image.strip() if isinstance(image, str) and image.strip() else None


class _ResourceField(ContainerCheck):
    """One of requests/limits x cpu/memory must be set on every container."""

    lists: ClassVar[frozenset[str]] = frozenset({"containers", "initContainers"})
    applies_to_functions: ClassVar[bool] = True
    section: ClassVar[str]
    resource_name: ClassVar[str]

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        resources = container.spec.get("resources") or {}
        section = (resources.get(self.section) or {}) if isinstance(resources, dict) else None
        if not isinstance(section, dict):
            return  # malformed (e.g. a list): the API server rejects it; do not guess
        if section.get(self.resource_name) in (None, ""):
            yield Hit(
                path=(*container.path, "resources", self.section, self.resource_name),
                message=(
                    f"container {container.name!r} has no {self.resource_name} "
                    f"{self.section.removesuffix('s')}"
                ),
            )


def _resource_rule(
    number: int, section: str, name: str, severity: Severity, peers: dict[str, str]
) -> Rule:
    noun = f"{name.upper() if name == 'cpu' else name} {section.removesuffix('s')}"
    return k8s_rule(
        id=f"SL-K8S-{number:03d}",
        title=f"{noun[0].upper()}{noun[1:]} not set",
        severity=severity,
        description=(
            f"Without a {noun} the scheduler and kubelet cannot bound the container's use "
            "of the node: one container can starve or evict its neighbours."
        ),
        remediation=f"Set `resources.{section}.{name}` on every container.",
        references=(_RESOURCES_DOC,),
        peers=peers,
        frameworks={"nsa-cisa": ("resource-policies",), **_DOS},
    )


class CpuLimit(_ResourceField):
    section, resource_name = "limits", "cpu"
    rule = _resource_rule(
        26, "limits", "cpu", Severity.LOW,
        {"checkov": "CKV_K8S_11", "kubescape": "C-0270", "trivy": "KSV011"},
    )  # fmt: skip


class CpuRequest(_ResourceField):
    section, resource_name = "requests", "cpu"
    rule = _resource_rule(
        27, "requests", "cpu", Severity.LOW,
        {"checkov": "CKV_K8S_10", "kubescape": "C-0268", "trivy": "KSV015"},
    )  # fmt: skip


class MemoryLimit(_ResourceField):
    section, resource_name = "limits", "memory"
    rule = _resource_rule(
        28, "limits", "memory", Severity.MEDIUM,
        {"checkov": "CKV_K8S_13", "kubescape": "C-0271", "trivy": "KSV018"},
    )  # fmt: skip


class MemoryRequest(_ResourceField):
    section, resource_name = "requests", "memory"
    rule = _resource_rule(
        29, "requests", "memory", Severity.LOW,
        {"checkov": "CKV_K8S_12", "kubescape": "C-0269", "trivy": "KSV016"},
    )  # fmt: skip


#: Run-to-completion workloads: nothing routes traffic to them and a hung run is ended by
#: ``activeDeadlineSeconds``, so probes do not apply (as in Checkov and Kubescape).
_RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})


class _Probe(ContainerCheck):
    lists: ClassVar[frozenset[str]] = frozenset({"containers"})
    probe: ClassVar[str]

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        if workload.resource.kind in _RUN_TO_COMPLETION:
            return
        if not container.spec.get(self.probe):
            yield Hit(
                path=(*container.path, self.probe),
                message=f"container {container.name!r} has no {self.probe}",
            )


class LivenessProbe(_Probe):
    probe = "livenessProbe"
    rule = k8s_rule(
        id="SL-K8S-030",
        root_cause=RootCause.NO_HEALTHCHECK,
        title="Liveness probe not configured",
        severity=Severity.LOW,
        description="Without a liveness probe a hung container is never restarted.",
        remediation="Add a `livenessProbe` to every long-running container.",
        references=(_PROBES_DOC,),
        peers={"checkov": "CKV_K8S_8", "kubescape": "C-0056"},
    )


class ReadinessProbe(_Probe):
    probe = "readinessProbe"
    rule = k8s_rule(
        id="SL-K8S-031",
        title="Readiness probe not configured",
        severity=Severity.LOW,
        description="Without a readiness probe traffic reaches a container before it can serve.",
        remediation="Add a `readinessProbe` to every serving container.",
        references=(_PROBES_DOC,),
        peers={"checkov": "CKV_K8S_9", "kubescape": "C-0018"},
    )


class ImageTagMutable(ContainerCheck):
    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-032",
        root_cause=RootCause.MUTABLE_IMAGE_REFERENCE,
        title="Image tag is latest or missing",
        severity=Severity.MEDIUM,
        description=(
            "`latest` (or no tag, which means latest) changes under you: deployments stop "
            "being reproducible and a poisoned push is picked up on the next restart."
        ),
        remediation="Pin a specific version tag, better a digest (`image@sha256:...`).",
        references=(_IMAGES_DOC,),
        peers={"checkov": "CKV_K8S_14", "trivy": "KSV013"},
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = _image(container)
        if image is None:
            return
        ref = parse_image(image)
        if ref.digest is None and ref.tag in (None, "latest"):
            yield Hit(
                path=(*container.path, "image"),
                message=f"container {container.name!r} uses {image} ({ref.tag or 'no tag'})",
                evidence=image,
            )


class ImageNoDigest(ContainerCheck):
    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-033",
        root_cause=RootCause.MUTABLE_IMAGE_REFERENCE,
        title="Image not pinned by digest",
        severity=Severity.LOW,
        description="Tags can be moved; only a digest names exactly the image that was reviewed.",
        remediation="Reference images as `name@sha256:<digest>` (optionally with the tag).",
        references=(_IMAGES_DOC,),
        peers={"checkov": "CKV_K8S_43", "kubescape": "C-0306"},
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = _image(container)
        if image is None:
            return
        digest = parse_image(image).digest
        if digest is None:
            message = f"container {container.name!r} image {image} has no digest"
        elif not is_valid_digest(digest):
            message = f"container {container.name!r} image {image} has a malformed digest"
        else:
            return
        yield Hit(path=(*container.path, "image"), message=message, evidence=image)


class PullPolicy(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-034",
        root_cause=RootCause.MUTABLE_IMAGE_REFERENCE,
        title="Mutable image tag without imagePullPolicy: Always",
        severity=Severity.LOW,
        description=(
            "With a mutable tag and IfNotPresent (the default for tags other than latest) "
            "each node runs whatever it cached: versions drift silently between nodes."
        ),
        remediation="Pin a digest, or set `imagePullPolicy: Always`.",
        references=(f"{_IMAGES_DOC}#updating-images",),
        peers={"checkov": "CKV_K8S_15", "kubescape": "C-0075"},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        image = _image(container)
        if image is None:
            return
        ref = parse_image(image)
        policy = container.spec.get("imagePullPolicy")
        if policy is None:
            policy = "Always" if ref.tag in (None, "latest") else "IfNotPresent"
        if ref.digest is None and policy != "Always":
            yield Hit(
                path=(*container.path, "imagePullPolicy"),
                message=f"container {container.name!r} pulls {image} with policy {policy}",
                evidence=f"imagePullPolicy: {policy}",
            )


class SecretInEnv(ContainerCheck):
    applies_to_functions: ClassVar[bool] = True
    rule = k8s_rule(
        id="SL-K8S-035",
        root_cause=RootCause.SECRET_IN_ENVIRONMENT,
        title="Credential written in an environment variable",
        severity=Severity.HIGH,
        description=(
            "A literal password, token or key in the manifest is readable by everyone who "
            "can read the manifest, its Git history, or the pod spec via the API."
        ),
        remediation="Move the value to a Secret and reference it with `valueFrom.secretKeyRef`.",
        references=(_SECRETS_DOC,),
        peers={"kubescape": "C-0012"},
        frameworks={"mitre-attack-containers": ("T1552.007",), "nsa-cisa": ("secrets",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, item in enumerate(as_list(container.spec.get("env"))):
            env = as_map(item)
            name = str(env.get("name", ""))
            if "value" in env and looks_like_secret(name, env.get("value")):
                yield Hit(
                    path=(*container.path, "env", index, "value"),
                    message=f"container {container.name!r} sets {name} to a literal value",
                    evidence=f"{name}=<redacted>",
                )


class SecretAsEnv(ContainerCheck):
    rule = k8s_rule(
        id="SL-K8S-036",
        title="Secret exposed as environment variables",
        severity=Severity.LOW,
        description=(
            "Environment variables leak into child processes, crash dumps and logs; secrets "
            "mounted as files do not, and they can be rotated without a restart."
        ),
        remediation="Mount the Secret as a volume instead of `secretKeyRef` / `envFrom`.",
        references=(_SECRETS_DOC,),
        peers={"checkov": "CKV_K8S_35", "kubescape": "C-0207"},
        frameworks={"cis-kubernetes": ("5.4.1",)},
    )

    def check_container(self, workload: Workload, container: Container) -> Iterable[Hit]:
        for index, item in enumerate(as_list(container.spec.get("env"))):
            if "secretKeyRef" in as_map(as_map(item).get("valueFrom")):
                yield Hit(
                    path=(*container.path, "env", index, "valueFrom", "secretKeyRef"),
                    message=f"container {container.name!r} reads a Secret into the environment",
                )
        for index, item in enumerate(as_list(container.spec.get("envFrom"))):
            if "secretRef" in as_map(item):
                yield Hit(
                    path=(*container.path, "envFrom", index, "secretRef"),
                    message=f"container {container.name!r} loads a whole Secret as environment",
                )


class AutomountToken(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-037",
        title="Service account token automounted",
        severity=Severity.LOW,
        description=(
            "Every pod gets an API token unless told otherwise; a compromised container then "
            "talks to the API server with the service account's rights."
        ),
        remediation="Set `automountServiceAccountToken: false` unless the pod calls the API.",
        references=(_SA_DOC,),
        peers={"checkov": "CKV_K8S_38", "kubescape": "C-0034", "trivy": "KSV036"},
        frameworks={"cis-kubernetes": ("5.1.6",), "mitre-attack-containers": ("T1528",)},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        if workload.spec.get("automountServiceAccountToken") is not False:
            yield Hit(
                path=workload.pod_field("automountServiceAccountToken"),
                message="pod automounts its service account token",
            )


class DefaultServiceAccount(WorkloadCheck):
    rule = k8s_rule(
        id="SL-K8S-038",
        title="Workload uses the default service account",
        severity=Severity.LOW,
        description=(
            "Permissions granted to `default` reach every pod of the namespace; give each "
            "workload its own service account with only the rights it needs."
        ),
        remediation="Create a dedicated ServiceAccount and set `serviceAccountName`.",
        references=(_SA_DOC,),
        frameworks={"cis-kubernetes": ("5.1.5",)},
    )

    def check(self, workload: Workload) -> Iterator[Hit]:
        name = workload.spec.get("serviceAccountName") or workload.spec.get("serviceAccount")
        if name in (None, "", "default"):
            yield Hit(
                path=workload.pod_field("serviceAccountName"),
                message="pod runs as the default service account",
            )


WORKLOAD_CHECKS = (
    CpuLimit(),
    CpuRequest(),
    MemoryLimit(),
    MemoryRequest(),
    LivenessProbe(),
    ReadinessProbe(),
    ImageTagMutable(),
    ImageNoDigest(),
    PullPolicy(),
    SecretInEnv(),
    SecretAsEnv(),
    AutomountToken(),
    DefaultServiceAccount(),
)
