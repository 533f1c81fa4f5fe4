"""Archives extracted without checking where their members land (path traversal).

``tarfile`` writes members where their names say, including ``../../etc/cron.d/x``,
absolute paths and symlinks pointing outside the target, unless an extraction filter
(Python 3.12+, backported to 3.8-3.11 security releases) or a checked ``members`` list
is given. ``zipfile``'s ``extract``/``extractall`` strip ``..`` and absolute parts from
member names, so they are not reported.
"""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["RULES"]

_TAR_FACTORIES = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open",
                            "tarfile.TarFile.taropen", "tarfile.TarFile.gzopen",
                            "tarfile.TarFile.bz2open", "tarfile.TarFile.xzopen"})  # fmt: skip
_EXTRACT_METHODS = frozenset({"extractall", "extract"})
#: The filter that keeps tarfile's old behaviour: everything the archive says.
_NO_FILTER = "fully_trusted"


def _tar_receiver(site: CallSite) -> bool:
    func = site.node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _EXTRACT_METHODS:
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call):
        return site.qualname(receiver.func) in _TAR_FACTORIES
    if isinstance(receiver, ast.Name):
        return site.scope.instances.get(receiver.id) in _TAR_FACTORIES
    return False


def _unfiltered(site: CallSite) -> str | None:
    """Why the extraction is unchecked, or None when a filter or member list is given."""
    filter_arg = site.kwarg("filter")
    if filter_arg is not None:
        if site.fold_str(filter_arg) == _NO_FILTER:
            return f'filter="{_NO_FILTER}"'
        return None
    if site.kwarg("members") is not None:
        return None
    if site.attr == "extractall" and len(site.node.args) > 1:
        return None  # extractall(path, members)
    return "no extraction filter"


def _check_tar_extract(site: CallSite) -> Hit | None:
    if not _tar_receiver(site):
        return None
    reason = _unfiltered(site)
    if reason is None:
        return None
    method = site.attr
    return Hit(
        node=site.node,
        message=(
            f"tarfile {method}() with {reason}: a member named `../../x`, an absolute path "
            "or a symlink writes outside the target directory."
        ),
        sink=f"tarfile.{method}",
    )


RULES: tuple[CodeRule, ...] = (
    CodeRule(
        id="PY-TAR-001",
        title="tarfile extracted without a filter (path traversal)",
        severity=Severity.HIGH,
        cwe=("CWE-22",),
        owasp="A01",
        bandit=("B202",),
        description=(
            "`TarFile.extractall()` / `extract()` on an archive from outside (an upload, a "
            'download, a build artefact) without `filter="data"` or a checked `members` '
            "list writes files wherever member names point: `../` sequences, absolute "
            "paths, symlinks and device files (CVE-2007-4559). Only objects made by "
            "`tarfile.open()` / `TarFile()` in the same function are recognised."
        ),
        remediation=(
            'Pass `filter="data"` (Python 3.12+, and 3.8-3.11 security releases), or '
            "`members=` a list checked against the target directory."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/22.html",
            "https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter",
            "https://peps.python.org/pep-0706/",
        ),
        on_call=_check_tar_extract,
    ),
)
