"""The plugin families of the scan pipeline and the values they exchange.

target --Opener--> Artifact --walk--> FileEntry --read once--> FileContent
    --Analyzer--> Inventory pieces (packages, operating system)
    --Scanner.scan_file--> findings per file
    --Scanner.scan_inventory--> findings over the whole inventory (vulnerabilities)
    --Scanner.scan_artifact--> findings about the artifact itself (an image's config)
    --Scanner.conclude--> what only all inputs together say (workload exposure)

The engine (:mod:`secloop.scan.engine`) imports only this module; each backend lives
in its own module and is listed in :mod:`secloop.scan.registry`.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from secloop.core.errors import InputError, TargetError
from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import Finding, FindingKind
from secloop.core.location import LayerRef
from secloop.core.package import Package
from secloop.core.result import OperatingSystem, Skipped
from secloop.core.rule import Rule
from secloop.core.target import Target

__all__ = [
    "Analyzer",
    "AnalyzerOutput",
    "Artifact",
    "ArtifactError",
    "Declaration",
    "FileContent",
    "FileEntry",
    "Inventory",
    "Observation",
    "Opener",
    "PartialFailure",
    "ScanError",
    "ScanLimits",
    "Scanner",
]

_BINARY_SNIFF_BYTES = 8192
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PartialFailure:
    """Part of a file (one document of a stream) could not be used; the rest was scanned.

    A scanner yields it among its findings; the engine records it in the coverage
    manifest as failed by that scanner, and the file still counts as scanned.
    """

    reason: str


class Observation:
    """Part of a scan-wide picture that one input cannot complete on its own.

    A Service in one file selects a Deployment in another: a scanner yields what it
    saw of such links among its findings (a subclass of its own), the engine keeps
    every observation of the scan in order, and after the walk hands them all to each
    scanner's :meth:`Scanner.conclude`. Opaque to the engine.
    """

    __slots__ = ()


class ScanError(InputError):
    """Base error of the scan subsystem: one input is unusable, the scan goes on."""


class ArtifactError(TargetError):
    """The target cannot be opened as an artifact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanLimits:
    """Bounds on what a scan reads from untrusted input, with their units in the names."""

    max_file_bytes: int = 10 * MIB
    max_files: int = 1_000_000
    max_depth: int = 64
    #: The ceiling of an analyzer's own allowance (:attr:`Analyzer.max_bytes`): package
    #: databases are read past ``max_file_bytes``, never past this.
    max_claimed_file_bytes: int = 512 * MIB


@dataclass(frozen=True, slots=True, kw_only=True)
class FileEntry:
    """A regular file inside an artifact; ``path`` is relative with ``/`` separators."""

    path: str
    size: int
    layer: LayerRef | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class FileContent:
    """A file's bytes, read once and shared by every plugin that wants the file."""

    entry: FileEntry
    data: bytes

    @cached_property
    def is_binary(self) -> bool:
        """A NUL byte in the first 8 KiB, unless a UTF-16/32 byte-order mark explains it."""
        head = self.data[:_BINARY_SNIFF_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return False
        return b"\0" in head

    @cached_property
    def text(self) -> str:
        """The file decoded as UTF-8 (BOM honoured, UTF-16 by BOM); InputError otherwise."""
        data = self.data
        try:
            if data.startswith(codecs.BOM_UTF8):
                return data[len(codecs.BOM_UTF8) :].decode("utf-8")
            if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return data.decode("utf-16")
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ScanError(
                f"{self.entry.path}: not valid UTF-8 text (byte {err.start}: {err.reason})"
            ) from None

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()


class Artifact(ABC):
    """An opened target: a walk over its files with bounded reads."""

    @property
    @abstractmethod
    def target(self) -> Target: ...

    @abstractmethod
    def walk(self) -> Iterator[FileEntry | Skipped]:
        """Every regular file, and every entry not walked with the reason why."""

    @abstractmethod
    def read(self, entry: FileEntry) -> bytes:
        """The bytes of one file, at most ``limits.max_file_bytes``; ScanError if unreadable."""

    def close(self) -> None:  # noqa: B027 - most artifacts hold nothing open
        """Release what the artifact holds open (archives, connections)."""

    def admit_claimed(self, limit_for: Callable[[str], int | None]) -> None:  # noqa: B027
        """Walk and read the files ``limit_for(path)`` gives a limit of their own (the
        package databases an analyzer claims) up to that limit, capped by
        ``ScanLimits.max_claimed_file_bytes``, instead of ``max_file_bytes``. Called by
        the engine before the walk; artifacts without per-file limits ignore it."""

    def __enter__(self) -> Artifact:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Opener(ABC):
    """Opens a target specification (a path, an image reference) as an artifact."""

    name: str

    @abstractmethod
    def can_open(self, spec: str) -> bool: ...

    @abstractmethod
    def open(
        self, spec: str, *, limits: ScanLimits, excludes: Sequence[str], use_gitignore: bool
    ) -> Artifact: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Declaration:
    """What a manifest (``package.json``, ``pyproject.toml``...) says its project
    depends on. A lockfile beside it that does not record this itself (``yarn.lock``,
    ``poetry.lock``...) learns from it which of its packages are direct, after the walk
    (:func:`secloop.scan.inventory.declared.mark_direct`)."""

    manifest: str  # the manifest's path
    ecosystem: str
    names: frozenset[str]  # as the lockfiles' packages are named
    lockfiles: frozenset[str]  # names of the lockfiles beside it that it speaks for


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyzerOutput:
    packages: tuple[Package, ...] = ()
    operating_system: OperatingSystem | None = None
    # Parts of the file that could not be taken (the packages read are kept): each is
    # recorded as failed in the coverage manifest, so nothing is dropped silently.
    problems: tuple[str, ...] = ()
    declarations: tuple[Declaration, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """What the analyzers found across the whole artifact."""

    packages: tuple[Package, ...] = ()
    operating_system: OperatingSystem | None = None
    files: tuple[str, ...] = field(default_factory=tuple)


class Analyzer(ABC):
    """Reads files into inventory: OS and language packages."""

    name: str
    #: Text analyzers see only files that decode; binary ones (Go binaries, rpmdb) see all.
    text_only: bool = True
    #: The size up to which the files this analyzer :meth:`claims` are walked and read,
    #: past the walk's ``max_file_bytes`` (rpm databases are 5-100 MiB on real systems);
    #: capped by ``ScanLimits.max_claimed_file_bytes``. None: the walk's limit applies.
    max_bytes: int | None = None

    def claims(self, path: str) -> bool:
        """Whether ``path`` is read up to :attr:`max_bytes`: the databases this analyzer
        reads and the files it reads beside them (a SQLite ``-wal``)."""
        return False

    @abstractmethod
    def applies_to(self, entry: FileEntry) -> bool:
        """Cheap: decided on the path and size alone, before the file is read."""

    @abstractmethod
    def analyze(self, content: FileContent) -> AnalyzerOutput: ...


class Scanner(ABC):
    """Turns files and inventory into findings. Stateless: one instance may serve many scans."""

    name: str
    kind: FindingKind
    text_only: bool = True
    #: False for opt-in scanners (third-party adapters such as Bandit and Semgrep): they
    #: run only when named in ``--scanners`` or the configuration, never by default nor
    #: through a kind such as ``sast``, so installing a tool never changes a scan silently.
    default_enabled: bool = True
    #: True for scanners that read the inventory (packages, operating system): when no
    #: selected scanner does, the engine runs no analyzer, so ``--scanners secret`` does
    #: not pay for parsing lockfiles and package databases nobody looks at.
    uses_inventory: bool = False

    @abstractmethod
    def rules(self) -> Sequence[Rule]:
        """Every rule this scanner can report, for reports and documentation."""

    def applies_to(self, entry: FileEntry) -> bool:
        """Cheap path-based filter; scanners with only an inventory pass return False."""
        return False

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure | Observation]:
        """Findings in one file; raise ScanError for a file that cannot be parsed at all,
        yield a PartialFailure for a part of it that cannot."""
        return ()

    def scan_inventory(self, inventory: Inventory) -> Iterable[Finding]:
        """Findings over the whole inventory, after every file was analyzed."""
        return ()

    def scan_artifact(
        self, artifact: Artifact, inventory: Inventory
    ) -> Iterable[Finding | PartialFailure | Observation]:
        """Findings about the artifact as a whole, once per scan after the walk.

        The one hook for what no file holds: an image's configuration and history,
        or image layers the merged view hides. Scanners that need it check the
        artifact's type and return nothing for others; reads go through the
        artifact, so its limits still apply.
        """
        return ()

    def scan_observations(
        self, observations: Sequence[Observation]
    ) -> Iterable[Finding | PartialFailure]:
        """Findings only every observation of the scan together shows (a Namespace in
        one file, its NetworkPolicy in another or in a rendered chart); after the
        artifact scans, before :meth:`conclude`. Each scanner ignores observations not
        its own."""
        return ()

    def conclude(self, observations: Sequence[Observation]) -> Sequence[WorkloadExposure]:
        """What every observation of the scan says together, after the artifact scans.

        Only the Kubernetes scanner answers (the exposure of each workload, from the
        plain and the rendered manifests); each scanner ignores observations not its own.
        """
        return ()
