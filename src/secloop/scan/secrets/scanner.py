"""The secrets scanner plugin: which files to read, and the engine over their text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import LayerRef
from secloop.core.rule import Rule
from secloop.scan.interface import FileContent, FileEntry, PartialFailure, ScanError, Scanner
from secloop.scan.secrets.engine import SCANNER_NAME, SecretEngine, default_engine
from secloop.scan.secrets.structural import STRUCTURAL_RULES

if TYPE_CHECKING:
    from secloop.scan.secrets.verify import VerificationService

__all__ = ["SKIPPED_EXTENSIONS", "SKIPPED_NAMES", "SecretsScanner", "scan_structured"]

#: Content that cannot hold a committed secret as text, or holds only hashes: media,
#: archives, compiled objects, fonts. Archives are opened by the artifact layer, not here.
SKIPPED_EXTENSIONS = frozenset(
    {
        # images, audio, video, fonts
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd",
        ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov", ".mkv", ".webm",
        ".woff", ".woff2", ".ttf", ".otf", ".eot",
        # archives and compiled artifacts
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".war",
        ".whl", ".egg", ".pyc", ".pyo", ".class", ".o", ".a", ".so", ".dylib", ".dll", ".exe",
        ".wasm", ".bin", ".dat", ".db", ".sqlite", ".sqlite3",
        # documents rendered from elsewhere
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx",
        # source maps repeat the sources they map (already scanned)
        ".map",
    }
)  # fmt: skip

#: Lock files hold integrity hashes and registry URLs by the thousand: high-entropy,
#: never credentials, and a large share of a repository's bytes.
SKIPPED_NAMES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
        "poetry.lock", "pipfile.lock", "uv.lock", "cargo.lock", "go.sum", "composer.lock",
        "gemfile.lock", "packages.lock.json", "flake.lock", "pdm.lock",
    }
)  # fmt: skip

#: Long-line and decoding notes list at most this many line numbers.
_LISTED_LINES = 5


class SecretsScanner(Scanner):
    """Finds committed credentials in text files (rules x file contents).

    Minified and generated files are not skipped by name: secrets leak into bundles
    too. Instead, the engine caps how much of any one line it scans, which bounds
    the cost of a 5 MB single-line bundle.
    """

    name = SCANNER_NAME
    kind = FindingKind.SECRET
    text_only = True

    def __init__(
        self,
        engine: SecretEngine | None = None,
        *,
        verification: VerificationService | None = None,
    ) -> None:
        self._engine = engine
        self._verification = verification

    def with_verification(self, verification: VerificationService) -> SecretsScanner:
        """The same scanner that also checks each secret with its provider (``--verify``)."""
        return SecretsScanner(self._engine, verification=verification)

    @property
    def engine(self) -> SecretEngine:
        return self._engine if self._engine is not None else default_engine()

    @cached_property
    def _rules(self) -> tuple[Rule, ...]:
        return (*(rule.to_rule() for rule in self.engine.rules), *STRUCTURAL_RULES)

    def rules(self) -> Sequence[Rule]:
        return self._rules

    def applies_to(self, entry: FileEntry) -> bool:
        """Every file but media, archives, compiled code and lock files.

        Size is the artifact's business (``--max-file-size``): a file over its limit is
        listed as skipped in the coverage manifest, never dropped silently here.
        """
        name = entry.name.lower()
        if name in SKIPPED_NAMES:
            return False
        dot = name.rfind(".")
        return dot < 0 or name[dot:] not in SKIPPED_EXTENSIONS

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        """Findings in one file, and notes on what was not scanned as is.

        Every file gets the text rules; Kubernetes manifests, Terraform state and
        notebooks then get their format's reader too (:func:`scan_structured`). Text
        that is not valid UTF-8 (a Latin-1 config) is still scanned, its undecodable
        bytes replaced, and a line longer than the engine's cap is scanned up to it:
        both are reported as partial failures, so the coverage manifest says so.
        """
        entry = content.entry
        notes: list[PartialFailure] = []
        try:
            text = content.text
        except ScanError as err:
            text = content.data.decode("utf-8", errors="replace")
            notes.append(PartialFailure(f"{err}; scanned with those bytes replaced"))
        overlong = self.engine.overlong_lines(text)
        if overlong:
            shown = ", ".join(str(n) for n in overlong[:_LISTED_LINES])
            more = (
                f" and {len(overlong) - _LISTED_LINES} more"
                if len(overlong) > _LISTED_LINES
                else ""
            )
            notes.append(
                PartialFailure(
                    f"line(s) {shown}{more} longer than {self.engine.max_line_chars} characters:"
                    " scanned only up to that length"
                )
            )
        if self._verification is None:
            primary = self.engine.scan(text, path=entry.path, layer=entry.layer)
        else:
            pairs = self.engine.scan_secrets(text, path=entry.path, layer=entry.layer)
            primary = self._verification.verify(pairs)
        found = scan_structured(self.engine, text, primary, path=entry.path, layer=entry.layer)
        return [*found, *notes]


def scan_structured(
    engine: SecretEngine,
    text: str,
    primary: list[Finding],
    *,
    path: str,
    layer: LayerRef | None = None,
) -> list[Finding | PartialFailure]:
    """``primary`` (the text rules' findings) completed by the file format's reader.

    The readers import PyYAML and the manifest parser, so they load only when a file
    of their kind turns up.
    """
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith((".yaml", ".yml", ".json")):
        from secloop.scan.secrets.kubernetes import is_manifest_candidate, scan_manifest

        if is_manifest_candidate(text):
            json_syntax = name.endswith(".json")
            return scan_manifest(
                engine, text, primary, path=path, layer=layer, json_syntax=json_syntax
            )
    elif name.endswith(".ipynb"):
        from secloop.scan.secrets.notebook import scan_notebook

        return scan_notebook(engine, text, primary, path=path, layer=layer)
    elif name.endswith((".tfstate", ".tfstate.backup")):
        from secloop.scan.secrets.tfstate import scan_tfstate

        return scan_tfstate(engine, text, primary, path=path, layer=layer)
    return list(primary)
