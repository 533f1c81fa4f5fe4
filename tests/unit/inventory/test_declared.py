"""Direct or transitive from the manifest beside a lockfile that does not record it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory.declared import (
    ComposerJsonAnalyzer,
    PackageJsonAnalyzer,
    PipfileAnalyzer,
    PyprojectAnalyzer,
)
from secloop.scan.registry import default_registry

YARN_LOCK = """\
# yarn lockfile v1


ansi-styles@^4.1.0:
  version "4.3.0"

chalk@^4.0.0:
  version "4.1.2"
  dependencies:
    ansi-styles "^4.1.0"

ms@2.0.0:
  version "2.0.0"

ms@^2.0.0:
  version "2.1.3"
"""

POETRY_LOCK = """\
[[package]]
name = "Requests"
version = "2.31.0"

[package.dependencies]
urllib3 = ">=1.21.1,<3"

[[package]]
name = "urllib3"
version = "2.2.1"

[[package]]
name = "pytest"
version = "8.0.0"

[[package]]
name = "zope.interface"
version = "6.0"
"""

PYPROJECT = """\
[project]
name = "app"
dependencies = ["requests[socks]>=2.0 ; python_version >= '3.8'"]

[project.optional-dependencies]
zope = ["Zope_Interface"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "x"}},
    "default": {"flask": {"version": "==3.0.0"}, "werkzeug": {"version": "==3.0.1"}},
    "develop": {"black": {"version": "==24.1.0"}},
}

PIPFILE = '[packages]\nFlask = "*"\n\n[dev-packages]\nblack = "*"\n'

COMPOSER_LOCK = {
    "packages": [
        {"name": "monolog/monolog", "version": "3.5.0"},
        {"name": "psr/log", "version": "3.0.0"},
    ],
    "packages-dev": [{"name": "phpunit/phpunit", "version": "10.5.0"}],
}

COMPOSER_JSON = {
    "require": {"php": ">=8.1", "Monolog/Monolog": "^3.0"},
    "require-dev": {"phpunit/phpunit": "^10"},
}


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _directness(root: Path) -> dict[tuple[str, str, str], bool | None]:
    result = run_scan(
        ScanRequest(spec=str(root), scanners=("secret",), collect_inventory=True),
        default_registry(),
    )
    return {(p.locations[0].path, p.name, p.version): p.direct for p in result.packages}


def _project(root: Path) -> None:
    _write(
        root,
        {
            "web/package.json": json.dumps(
                {"dependencies": {"chalk": "^4.0.0"}, "devDependencies": {"ms": "^2.0.0"}}
            ),
            "web/yarn.lock": YARN_LOCK,
            "py/pyproject.toml": PYPROJECT,
            "py/poetry.lock": POETRY_LOCK,
            "pipenv/Pipfile": PIPFILE,
            "pipenv/Pipfile.lock": json.dumps(PIPFILE_LOCK),
            "php/composer.json": json.dumps(COMPOSER_JSON),
            "php/composer.lock": json.dumps(COMPOSER_LOCK),
            "alone/yarn.lock": YARN_LOCK,  # no package.json beside it
        },
    )


def test_sibling_manifests_tell_direct_from_transitive(tmp_path: Path) -> None:
    _project(tmp_path)
    found = _directness(tmp_path)
    assert found["web/yarn.lock", "chalk", "4.1.2"] is True
    assert found["web/yarn.lock", "ansi-styles", "4.3.0"] is False
    # two versions of a declared name: which one the range chose is not known here
    assert found["web/yarn.lock", "ms", "2.0.0"] is None
    assert found["web/yarn.lock", "ms", "2.1.3"] is None
    assert found["alone/yarn.lock", "chalk", "4.1.2"] is None  # no manifest: unknown
    assert found["py/poetry.lock", "requests", "2.31.0"] is True
    assert found["py/poetry.lock", "urllib3", "2.2.1"] is False
    assert found["py/poetry.lock", "pytest", "8.0.0"] is True  # a PEP 735 group
    assert found["py/poetry.lock", "zope-interface", "6.0"] is True  # an extra, any spelling
    assert found["pipenv/Pipfile.lock", "flask", "3.0.0"] is True
    assert found["pipenv/Pipfile.lock", "werkzeug", "3.0.1"] is False
    assert found["pipenv/Pipfile.lock", "black", "24.1.0"] is True
    assert found["php/composer.lock", "monolog/monolog", "3.5.0"] is True
    assert found["php/composer.lock", "psr/log", "3.0.0"] is False
    assert found["php/composer.lock", "phpunit/phpunit", "10.5.0"] is True


def test_a_manifest_in_another_directory_says_nothing(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"package.json": json.dumps({"dependencies": {"chalk": "*"}}), "sub/yarn.lock": YARN_LOCK},
    )
    assert set(_directness(tmp_path).values()) == {None}


def test_poetry_tables_are_declarations() -> None:
    text = (
        '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "^5"\n\n'
        '[tool.poetry.dev-dependencies]\nmypy = "*"\n\n'
        '[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n'
    )
    output = PyprojectAnalyzer().analyze(_content("pyproject.toml", text))
    (declaration,) = output.declarations
    assert declaration.names == {"django", "mypy", "sphinx"}
    assert declaration.lockfiles == {"poetry.lock", "pdm.lock"}
    assert output.packages == ()  # a manifest adds no package of its own


@pytest.mark.parametrize(
    ("analyzer", "path", "text"),
    [
        (PyprojectAnalyzer(), "app/pyproject.toml", "[project\n"),
        (PipfileAnalyzer(), "app/Pipfile", "[packages]\nflask = \n"),
        (PackageJsonAnalyzer(), "app/package.json", "{"),
        (ComposerJsonAnalyzer(), "app/composer.json", '{"require": '),
    ],
)
def test_a_broken_manifest_is_an_error_naming_the_file(
    analyzer: PyprojectAnalyzer, path: str, text: str
) -> None:
    with pytest.raises(ScanError, match=path):
        analyzer.analyze(_content(path, text))


def test_installed_packages_manifests_are_not_read() -> None:
    analyzer = PackageJsonAnalyzer()
    assert analyzer.applies_to(FileEntry(path="web/package.json", size=1))
    assert not analyzer.applies_to(FileEntry(path="web/node_modules/a/package.json", size=1))
    assert not ComposerJsonAnalyzer().applies_to(FileEntry(path="vendor/a/composer.json", size=1))


def _content(path: str, text: str) -> FileContent:
    return FileContent(entry=FileEntry(path=path, size=len(text)), data=text.encode())
