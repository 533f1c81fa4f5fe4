"""The license scanner through the real pipeline and the real CLI: lockfiles and an
installed system in, SL-LIC findings pointing at the dependency's file and line out."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from secloop.cli import main
from secloop.cli.image import rootfs_command
from secloop.core.finding import FindingKind
from secloop.core.severity import Severity
from secloop.policy.licenses import LicensePolicy
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import Inventory
from secloop.scan.license import DENIED_RULE, UNKNOWN_RULE, LicenseScanner
from secloop.scan.registry import default_registry

LOCK = """\
{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "dependencies": {
        "dual": "^1.0.0",
        "copyleft": "^2.0.0"
      }
    },
    "node_modules/dual": {
      "version": "1.0.0",
      "license": "MIT OR GPL-3.0-only"
    },
    "node_modules/copyleft": {
      "version": "2.0.0",
      "license": "GPL-3.0-or-later"
    },
    "node_modules/silent": {
      "version": "0.1.0"
    }
  }
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "package-lock.json").write_text(LOCK)
    monkeypatch.chdir(tmp_path)  # no configuration file from the repository
    return root


def _scan(root: Path, policy: LicensePolicy) -> dict[str, tuple[str, int | None, Severity]]:
    request = ScanRequest(spec=str(root), scanners=("license",))
    result = run_scan(request, default_registry(licenses=policy))
    assert result.failed == ()
    assert {f.rule_id for f in result.findings} <= set(result.rules)  # documented in reports
    return {
        f.package.name: (f.rule_id, f.location.start_line, f.severity)
        for f in result.findings
        if f.package is not None
    }


def test_denied_and_unknown_licences_point_at_the_lockfile_entry(project: Path) -> None:
    policy = LicensePolicy(deny=("GPL-3.0-*",), severity=Severity.MEDIUM, report_unknown=True)
    assert _scan(project, policy) == {
        "copyleft": ("SL-LIC-001", 16, Severity.MEDIUM),
        "silent": ("SL-LIC-002", 20, Severity.LOW),
    }
    assert _scan(project, LicensePolicy(deny=("GPL-3.0-*",))) == {
        "copyleft": ("SL-LIC-001", 16, Severity.HIGH)
    }


def test_an_inactive_policy_adds_no_scanner() -> None:
    names = {s.name for s in default_registry(licenses=LicensePolicy()).scanners}
    assert "license" not in names
    assert "license" in {
        s.name for s in default_registry(licenses=LicensePolicy(allow=("MIT",))).scanners
    }


def test_anchor_survives_an_upgrade_and_changes_with_the_licence() -> None:
    from secloop.core.package import Package

    scanner = LicenseScanner(LicensePolicy(deny=("GPL-*",)))
    assert scanner.rules() == (DENIED_RULE, UNKNOWN_RULE)

    def anchor(version: str, license: str) -> str:
        package = Package.create(name="a", version=version, ecosystem="npm", license=license)
        (finding,) = scanner.scan_inventory(Inventory(packages=(package,)))
        assert finding.kind is FindingKind.LICENSE
        assert finding.evidence == license
        return finding.anchor

    assert anchor("1.0.0", "GPL-3.0-only") == anchor("1.1.0", "GPL-3.0-only")
    assert anchor("1.0.0", "GPL-3.0-only") != anchor("1.0.0", "GPL-2.0-only")


def _cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    code = exited.value.code
    return code if isinstance(code, int) else 0


def test_cli_deny_license_reports_in_json_with_package_facts(project: Path) -> None:
    report = project.parent / "report.json"
    args = ("scan", str(project), "--scanners", "license", "-q", "-f", "json", "-o", str(report))
    assert _cli(*args, "--deny-license", "GPL-3.0-*") == 1
    document = json.loads(report.read_text())
    (finding,) = document["findings"]
    assert finding["rule_id"] == "SL-LIC-001"
    assert finding["location"] == {"path": "package-lock.json", "start_line": 16}
    packages = {p["name"]: p for p in document["packages"]}
    assert packages["dual"]["license"] == "MIT OR GPL-3.0-only"
    assert packages["dual"]["direct"] is True
    assert packages["silent"]["direct"] is False
    assert packages["silent"]["locations"] == [{"path": "package-lock.json", "line": 20}]
    assert _cli(*args, "--deny-license", "AGPL-*") == 0


def test_cli_licence_policy_from_the_configuration(project: Path) -> None:
    config = project.parent / "secloop.yaml"
    config.write_text("licenses:\n  allow: [MIT]\n  severity: low\n  unknown: true\n")
    report = project.parent / "report.json"
    args = ("scan", str(project), "--scanners", "license", "-q", "-f", "json", "-o", str(report))
    assert _cli(*args) == 1
    found = {
        f["package"]["name"]: (f["rule_id"], f["severity"])
        for f in json.loads(report.read_text())["findings"]
    }
    assert found == {"copyleft": ("SL-LIC-001", "LOW"), "silent": ("SL-LIC-002", "LOW")}


def test_cli_rejects_a_bad_pattern_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli("scan", str(project), "-q", "--deny-license", "GPL 3") == 2
    assert "'GPL 3' is not an SPDX licence id" in capsys.readouterr().err


def test_rootfs_apk_licences_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "lib/apk/db").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID=alpine\nNAME="Alpine Linux"\nVERSION_ID=3.19.1\n')
    (root / "lib/apk/db/installed").write_text(
        "P:musl\nV:1.2.4-r4\nL:MIT\n\nP:busybox\nV:1.36.1-r15\nL:GPL-2.0-only\n"
    )
    report = tmp_path / "report.json"
    group = click.Group(commands={"rootfs": rootfs_command})
    args = [str(root), "--scanners", "license", "--deny-license", "GPL-2.0*", "-q", "-f", "json"]
    code = group.main(args=["rootfs", *args, "-o", str(report)], standalone_mode=False)
    assert code == 1
    (finding,) = json.loads(report.read_text())["findings"]
    assert finding["package"]["name"] == "busybox"
    assert finding["location"] == {"path": "lib/apk/db/installed", "start_line": 5}
