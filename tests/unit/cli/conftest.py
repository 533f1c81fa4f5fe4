"""Run the real CLI entry point in-process, with fake scan plugins in the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from secloop.cli import main
from secloop.scan.artifact.fs import FilesystemOpener
from secloop.scan.registry import Registry
from tests.fakes import DenyListScanner, MarkerScanner, RequirementsAnalyzer


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


RunCli = Callable[..., Outcome]


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry(
        openers=(FilesystemOpener(),),
        analyzers=(RequirementsAnalyzer(),),
        scanners=(MarkerScanner(), DenyListScanner(["badpkg"])),
    )
    monkeypatch.setattr("secloop.cli.run.default_registry", lambda **_: registry)
    return registry


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], fake_registry: Registry) -> RunCli:
    def run(*args: str) -> Outcome:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Outcome(
            code=code if isinstance(code, int) else 0, out=captured.out, err=captured.err
        )

    return run
