"""Analyzer plumbing: which files each one claims, uv.lock, and malformed input."""

from __future__ import annotations

import pytest

from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory import language_analyzers
from secloop.scan.inventory.requirements import RequirementsAnalyzer, parse_requirements
from secloop.scan.inventory.uv import parse_uv_lock

UV_LOCK = """
version = 1
requires-python = ">=3.11"

[[package]]
name = "my-app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "Jinja2"
version = "3.1.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "markupsafe"
version = "2.1.5"
source = { registry = "https://pypi.org/simple" }
"""


def _content(path: str, text: str) -> FileContent:
    data = text.encode()
    return FileContent(entry=FileEntry(path=path, size=len(data)), data=data)


@pytest.mark.parametrize(
    ("path", "claimed_by"),
    [
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("deps/prod_requirements.txt", "requirements"),
        ("poetry.lock", "poetry-lock"),
        ("Pipfile.lock", "pipfile-lock"),
        ("uv.lock", "uv-lock"),
        ("web/package-lock.json", "npm-lock"),
        ("npm-shrinkwrap.json", "npm-lock"),
        ("yarn.lock", "yarn-lock"),
        ("pnpm-lock.yaml", "pnpm-lock"),
        ("go.mod", "go-mod"),
        ("Cargo.lock", "cargo-lock"),
        ("Gemfile.lock", "gemfile-lock"),
        ("composer.lock", "composer-lock"),
        ("package.json", "package-json-manifest"),  # which lockfile packages are direct
        ("node_modules/x/package.json", None),  # an installed package's own manifest
        ("requirements.in", None),
    ],
)
def test_each_file_is_claimed_by_one_analyzer(path: str, claimed_by: str | None) -> None:
    entry = FileEntry(path=path, size=1)
    claimed = [a.name for a in language_analyzers() if a.applies_to(entry)]
    assert claimed == ([claimed_by] if claimed_by else [])


def test_uv_lock_leaves_out_the_project_itself() -> None:
    packages = parse_uv_lock(UV_LOCK, "uv.lock")
    assert [(p.name, p.version, p.purl) for p in packages] == [
        ("jinja2", "3.1.2", "pkg:pypi/jinja2@3.1.2"),
        ("markupsafe", "2.1.5", "pkg:pypi/markupsafe@2.1.5"),
    ]


def test_requirements_keep_pins_with_hashes_markers_and_extras_only() -> None:
    text = (
        "-r base.txt\n-c constraints.txt\n--index-url https://example.org/simple\n"
        "requests[security]==2.31.0 ; python_version >= '3.8' \\\n"
        "    --hash=sha256:abc\n"
        "flask>=2.0\nDjango\n# django==1.0\nhttps://example.org/x.whl\n-e .\n"
    )
    assert [(p.name, p.version) for p in parse_requirements(text, "r.txt")] == [
        ("requests", "2.31.0")
    ]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("poetry.lock", "[[package]\nname ="),
        ("Pipfile.lock", "{not json"),
        ("package-lock.json", "[1, 2"),
        ("Cargo.lock", "package = 3\n"),
        ("composer.lock", '{"packages": {}}'),
        ("pnpm-lock.yaml", "packages: [unclosed"),
        ("go.mod", "this is not go\n"),
    ],
)
def test_a_malformed_lockfile_is_a_scan_error_naming_the_file(path: str, text: str) -> None:
    content = _content(f"app/{path}", text)
    (analyzer,) = [a for a in language_analyzers() if a.applies_to(content.entry)]
    with pytest.raises(ScanError, match=f"app/{path}"):
        analyzer.analyze(content)


def test_the_analyzer_reports_where_each_package_was_found() -> None:
    output = RequirementsAnalyzer().analyze(_content("svc/requirements.txt", "six==1.16.0\n"))
    assert output.packages[0].locations[0].path == "svc/requirements.txt"
