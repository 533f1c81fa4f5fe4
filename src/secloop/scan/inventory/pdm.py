"""PDM: ``pdm.lock`` (TOML ``[[package]]`` tables with name, version and groups).

Each package lists the dependency ``groups`` that need it: ``default`` is the
project's main dependencies; a package only the ``dev`` group needs is marked dev
(other groups are optional extras or custom groups, which the lock alone cannot tell
apart from development ones). The lock does not say which packages ``pyproject.toml``
declares, so ``direct`` is left unknown. A git dependency keeps the version PDM
resolved from its metadata.
"""

from __future__ import annotations

from typing import Any

from secloop.core.package import Package
from secloop.scan.inventory._common import (
    LockfileAnalyzer,
    dedupe,
    make_package,
    pypi_name,
    toml_package_tables,
)

__all__ = ["PdmLockAnalyzer", "parse_pdm_lock"]


def _dev_only(entry: dict[str, Any]) -> bool:
    groups = entry.get("groups")
    return isinstance(groups, list) and "dev" in groups and "default" not in groups


def parse_pdm_lock(text: str, path: str) -> tuple[Package, ...]:
    return dedupe(
        make_package(
            pypi_name(str(entry["name"])),
            str(entry["version"]),
            "PyPI",
            path,
            line=line,
            dev=_dev_only(entry),
        )
        for entry, line in toml_package_tables(text, path)
    )


class PdmLockAnalyzer(LockfileAnalyzer):
    name = "pdm-lock"
    file_names = frozenset({"pdm.lock"})

    def parse(self, text: str, path: str) -> tuple[Package, ...]:
        return parse_pdm_lock(text, path)
