"""Declared licences, package lines and the new package facts in the core model."""

from __future__ import annotations

import dataclasses

import pytest

from secloop.core import Finding, FindingKind, Location, Severity
from secloop.core.fingerprint import base_fingerprint
from secloop.core.license import is_spdx_expression, normalize_license
from secloop.core.package import Package, PackageLocation


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("(MIT OR ISC) and bsd-3-clause", "(MIT OR ISC) AND BSD-3-Clause"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("MIT License", "MIT"),
        ("Apache 2.0", "Apache-2.0"),
        ("  GPLv3+ ", "GPL-3.0-or-later"),
        ("LicenseRef-Proprietary", "LicenseRef-Proprietary"),
        ("BSD", "BSD"),  # ambiguous: kept as written, never guessed
        ("Some   Custom\nLicence", "Some Custom Licence"),
        ("UNKNOWN", None),
        ("", None),
        (None, None),
        ("x" * 600, None),  # the licence text itself, not a declaration
    ],
)
def test_normalize_license(declared: str | None, expected: str | None) -> None:
    assert normalize_license(declared) == expected


def test_is_spdx_expression_only_for_canonical_expressions() -> None:
    assert is_spdx_expression("MIT OR Apache-2.0")
    assert is_spdx_expression("LicenseRef-Foo")
    assert not is_spdx_expression("mit")  # valid, but not in canonical form
    assert not is_spdx_expression("BSD License")


def test_package_location_line_is_one_based() -> None:
    assert PackageLocation(path="a", line=1).line == 1
    with pytest.raises(ValueError, match="line must be >= 1"):
        PackageLocation(path="a", line=0)


def test_package_create_defaults_keep_old_callers_working() -> None:
    package = Package.create(name="a", version="1", ecosystem="npm")
    assert (package.license, package.direct, package.dev) == (None, None, False)
    full = Package.create(
        name="a", version="1", ecosystem="npm", license="MIT", direct=True, dev=True
    )
    assert (full.license, full.direct, full.dev) == ("MIT", True, True)


def test_the_package_line_never_enters_a_fingerprint() -> None:
    """ADR 0002: a dependency moving down its lockfile keeps its findings' identity."""

    def finding(line: int) -> Finding:
        package = Package.create(
            name="a",
            version="1",
            ecosystem="npm",
            locations=(PackageLocation(path="package-lock.json", line=line),),
            license="MIT",
            direct=True,
        )
        return Finding(
            kind=FindingKind.VULNERABILITY,
            rule_id="GHSA-1",
            severity=Severity.HIGH,
            title="t",
            message="m",
            location=Location(path="package-lock.json", start_line=line),
            scanner="vuln",
            anchor="pkg:npm/a|GHSA-1",
            package=package,
        )

    moved = finding(40)
    assert base_fingerprint(finding(12)) == base_fingerprint(moved)
    assert moved.package is not None
    undeclared = dataclasses.replace(moved, package=dataclasses.replace(moved.package, direct=None))
    assert base_fingerprint(undeclared) == base_fingerprint(moved)
