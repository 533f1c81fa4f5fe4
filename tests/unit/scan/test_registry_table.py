"""The scanner table describes each scanner without importing it; a registry built for
a ``--scanners`` selection must choose exactly what the full registry chooses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secloop.core.errors import UsageError
from secloop.policy.licenses import LicensePolicy
from secloop.scan.misconfig.kubernetes.pss import PssLevel, PssVersion
from secloop.scan.misconfig.pss_scan import PssSettings
from secloop.scan.misconfig.rego import load_policies
from secloop.scan.registry import Registry, default_registry, scanner_entries

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "policies"

SELECTIONS = [
    None,
    ["misconfig"],
    ["kubernetes", "dockerfile"],
    ["Kubernetes "],
    ["secret"],
    ["secrets", "misconfiguration"],
    ["bandit", "semgrep"],
    ["code"],
    ["sast", "python"],
    ["vuln"],
    ["vulnerability"],
    ["render"],
    ["license"],
    ["pss", "rego"],
    ["compose", "misconfig"],
]


def _options() -> dict[str, Any]:
    """Every optional scanner switched on: policies, PSS and a licence policy."""
    return {
        "policies": load_policies([EXAMPLES]),
        "pss": PssSettings(level=PssLevel.BASELINE, version=PssVersion.parse("latest")),
        "licenses": LicensePolicy(deny=("GPL-3.0-only",)),
        "allowed_registries": ("registry.example.com",),
    }


@pytest.mark.parametrize("options", [{}, "all"], ids=["plain", "every-option"])
def test_every_entry_describes_the_scanner_it_builds(options: Any) -> None:
    entries = scanner_entries(**(_options() if options == "all" else {}))
    for entry in entries:
        scanner = entry.build()
        described = (entry.name, entry.kind, entry.default_enabled)
        assert (scanner.name, scanner.kind, scanner.default_enabled) == described
    assert [e.name for e in entries] == [s.name for s in default_registry(**(
        _options() if options == "all" else {}
    )).scanners]  # fmt: skip


def _chosen(registry: Registry, requested: list[str] | None) -> list[str] | str:
    """The names selected, or the usage error (a name unknown without the option)."""
    try:
        return [s.name for s in registry.select_scanners(requested)]
    except UsageError as err:
        return str(err)


@pytest.mark.parametrize("requested", SELECTIONS, ids=str)
@pytest.mark.parametrize("options", [{}, "all"], ids=["plain", "every-option"])
def test_selection_built_alone_chooses_what_the_full_registry_does(
    requested: list[str] | None, options: Any
) -> None:
    kwargs = _options() if options == "all" else {}
    full = _chosen(default_registry(**kwargs), requested)
    alone = default_registry(**kwargs, scanners=requested)
    assert _chosen(alone, requested) == full
    if requested is not None and isinstance(full, list):
        assert len(alone.scanners) == len(full)  # nothing else was built


def test_render_shares_the_kubernetes_checks_and_the_policies() -> None:
    registry = default_registry(**_options(), scanners=["kubernetes", "render", "rego"])
    kubernetes, render, rego = (
        registry.select_scanners([n])[0] for n in ("kubernetes", "render", "rego")
    )
    assert render._checks == tuple(kubernetes.checks)  # type: ignore[attr-defined]
    assert render._rego is rego  # type: ignore[attr-defined]


def test_unknown_name_still_lists_every_choice() -> None:
    with pytest.raises(UsageError) as raised:
        default_registry(scanners=["nope"]).select_scanners(["nope"])
    assert "choose from bandit, code, compose, dockerfile" in str(raised.value)
    assert "semgrep" in str(raised.value)


def test_misconfig_selection_does_not_import_the_other_scanners() -> None:
    code = (
        "import sys\n"
        "from secloop.scan.registry import default_registry\n"
        "default_registry(scanners=['kubernetes', 'dockerfile'])\n"
        "print(sorted(m for m in ('secloop.scan.vuln', 'secloop.scan.code.adapters',"
        " 'secloop.scan.license', 'secloop.scan.image_checks') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
