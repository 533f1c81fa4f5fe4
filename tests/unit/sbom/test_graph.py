"""The dependency graph: lockfile parsers record edges, SBOM writers and the reader keep them."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from scripts.golden import build_sbom_sample_result

from secloop.core.package import Package, PackageLocation
from secloop.core.result import ScanResult
from secloop.output.cyclonedx import (
    MANIFEST_REF,
    TARGET_REF,
    dependency_graph,
    manifest_roots,
    unique_packages,
)
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.json_format import load_result
from secloop.output.registry import formatter_for
from secloop.output.spdx import DOCUMENT_ID, TARGET_ID, manifest_id_for, spdx_id_for
from secloop.scan.inventory.cargo import parse_cargo_lock
from secloop.scan.inventory.composer import parse_composer_lock
from secloop.scan.inventory.gemfile import parse_gemfile_lock
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.inventory.pnpm import parse_pnpm_lock
from secloop.scan.inventory.poetry import parse_poetry_lock
from secloop.scan.inventory.uv import parse_uv_lock
from secloop.scan.inventory.yarn import parse_yarn_lock
from secloop.scan.sbom import SbomError, parse_sbom, reader
from tests.conftest import corpus_path
from tests.unit.sbom.test_output import cdx_validator  # noqa: F401 - a fixture

Parser = Callable[[str, str], tuple[Package, ...]]


def _edges(packages: Iterable[Package]) -> set[tuple[str, str]]:
    """(parent, child) as ``name@version`` pairs, readable in the expectations."""
    packages = list(packages)
    label = {p.purl: f"{p.name}@{p.version}" for p in packages}
    return {(label[p.purl], label[child]) for p in packages for child in p.depends_on}


NPM_V3 = {
    "name": "shop",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "shop", "dependencies": {"a": "^1", "c": "^1"}},
        "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "^2"}},
        "node_modules/a/node_modules/b": {"version": "2.0.0", "dependencies": {"d": "*"}},
        "node_modules/b": {"version": "1.0.0"},
        "node_modules/c": {
            "version": "1.0.0",
            "dependencies": {"b": "^1"},
            "optionalDependencies": {"fsevents": "*"},  # not installed here: no edge
            "peerDependencies": {"@s/p": "*"},
        },
        "node_modules/d": {"version": "1.0.0"},
        "node_modules/@s/p": {"version": "3.0.0"},
        "packages/w": {"name": "w", "dependencies": {"b": "^3"}},
        "packages/w/node_modules/b": {"version": "3.0.0", "dependencies": {"d": "*"}},
    },
}

POETRY = """
[[package]]
name = "Requests"
version = "2.31.0"

[package.dependencies]
certifi = ">=2017.4.17"
urllib3 = ">=1.21.1,<3"
pysocks = {version = ">=1.5.6", optional = true}

[[package]]
name = "certifi"
version = "2024.2.2"

[[package]]
name = "urllib3"
version = "2.2.1"
"""

UV = """
version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "anyio" }, { name = "idna", version = "3.7" }]

[package.optional-dependencies]
http2 = [{ name = "h2" }]

[[package]]
name = "anyio"
version = "4.3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "h2"
version = "4.1.0"
source = { registry = "https://pypi.org/simple" }
"""

CARGO = """
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["rand 0.8.5", "serde", ""]

[[package]]
name = "rand"
version = "0.7.3"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "rand"
version = "0.8.5"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["rand_core 0.6.4 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "rand_core"
version = "0.6.4"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""

PNPM_V9 = """
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      express:
        specifier: ^4
        version: 4.19.2
packages:
  express@4.19.2:
    resolution: {integrity: sha512-x}
  accepts@1.3.8:
    resolution: {integrity: sha512-y}
  string-width@4.2.3:
    resolution: {integrity: sha512-z}
snapshots:
  express@4.19.2:
    dependencies:
      accepts: 1.3.8
      string-width-cjs: string-width@4.2.3
      local: link:../local
  accepts@1.3.8: {}
  string-width@4.2.3: {}
"""

PNPM_V6 = """
lockfileVersion: '6.0'
dependencies:
  react-dom:
    specifier: ^18
    version: 18.2.0(react@18.2.0)
packages:
  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-a}
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
  /react@18.2.0:
    resolution: {integrity: sha512-b}
    dependencies:
      loose-envify: 1.4.0
  /loose-envify@1.4.0:
    resolution: {integrity: sha512-c}
"""

PNPM_V5 = """
lockfileVersion: 5.4
packages:
  /debug/4.3.4:
    resolution: {integrity: sha512-a}
    dependencies:
      ms: 2.1.2
      odd: nonsense
  /ms/2.1.2:
    resolution: {integrity: sha512-b}
"""

YARN_CLASSIC = """
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.12.13"

"@babel/highlight@^7.12.13":
  version "7.13.10"
  dependencies:
    chalk "^2.0.0"
  optionalDependencies:
    js-tokens "^4.0.0"

chalk@^2.0.0:
  version "2.4.2"

js-tokens@^4.0.0:
  version "4.0.0"
"""

YARN_BERRY = """
__metadata:
  version: 8

"chalk@npm:^4.1.0":
  version: 4.1.2
  resolution: "chalk@npm:4.1.2"
  dependencies:
    ansi-styles: "npm:^4.1.0"
    supports-color: ^7.1.0
  languageName: node

"ansi-styles@npm:^4.1.0, ansi-styles@npm:^4.0.0":
  version: 4.3.0
  resolution: "ansi-styles@npm:4.3.0"

"supports-color@npm:^7.1.0":
  version: 7.2.0
  resolution: "supports-color@npm:7.2.0"
"""

GEMFILE = """
GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.0.1)
      rack (~> 2.0, >= 2.2.0)
      rails-html-sanitizer (~> 1.0)
    nokogiri (1.16.0-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)
    rack (2.2.3)
    rails-html-sanitizer (1.4.2)
      nokogiri (>= 1.6)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  actionpack
"""

COMPOSER = {
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "3.5.0",
            "require": {"php": ">=8.1", "psr/log": "^2.0 || ^3.0", "ext-json": "*"},
        },
        {"name": "psr/log", "version": "3.0.0", "require": {"php": ">=8.0.0"}},
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "10.5.0", "require": {"Monolog/Monolog": "^3"}}
    ],
}


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        pytest.param(
            parse_npm_lock,
            json.dumps(NPM_V3, indent=2),
            {
                ("a@1.0.0", "b@2.0.0"),  # its own node_modules first
                ("b@2.0.0", "d@1.0.0"),  # then the enclosing ones up to the top
                ("c@1.0.0", "b@1.0.0"),
                ("c@1.0.0", "@s/p@3.0.0"),
                ("w@", "b@3.0.0"),  # a workspace folder (kept as a versionless package)
                ("b@3.0.0", "d@1.0.0"),  # from a workspace folder's node_modules
            },
            id="npm-v3",
        ),
        pytest.param(
            parse_poetry_lock,
            POETRY,
            {("requests@2.31.0", "certifi@2024.2.2"), ("requests@2.31.0", "urllib3@2.2.1")},
            id="poetry",
        ),
        pytest.param(
            parse_uv_lock,
            UV,
            {
                ("httpx@0.27.0", "anyio@4.3.0"),
                ("httpx@0.27.0", "idna@3.7"),  # the version named, not both
                ("httpx@0.27.0", "h2@4.1.0"),
            },
            id="uv",
        ),
        pytest.param(
            parse_cargo_lock,
            CARGO,
            {
                ("app@0.1.0", "rand@0.8.5"),
                ("app@0.1.0", "serde@1.0.200"),
                ("rand@0.8.5", "rand_core@0.6.4"),
            },
            id="cargo",
        ),
        pytest.param(
            parse_pnpm_lock,
            PNPM_V9,
            {("express@4.19.2", "accepts@1.3.8"), ("express@4.19.2", "string-width@4.2.3")},
            id="pnpm-v9",
        ),
        pytest.param(
            parse_pnpm_lock,
            PNPM_V6,
            {
                ("react-dom@18.2.0", "loose-envify@1.4.0"),
                ("react-dom@18.2.0", "react@18.2.0"),
                ("react@18.2.0", "loose-envify@1.4.0"),
            },
            id="pnpm-v6",
        ),
        pytest.param(
            parse_pnpm_lock,
            PNPM_V5,
            {("debug@4.3.4", "ms@2.1.2")},  # a value that is no version nor key: no edge
            id="pnpm-v5",
        ),
        pytest.param(
            parse_yarn_lock,
            YARN_CLASSIC,
            {
                ("@babel/code-frame@7.12.13", "@babel/highlight@7.13.10"),
                ("@babel/highlight@7.13.10", "chalk@2.4.2"),
                ("@babel/highlight@7.13.10", "js-tokens@4.0.0"),
            },
            id="yarn-classic",
        ),
        pytest.param(
            parse_yarn_lock,
            YARN_BERRY,
            {("chalk@4.1.2", "ansi-styles@4.3.0"), ("chalk@4.1.2", "supports-color@7.2.0")},
            id="yarn-berry",
        ),
        pytest.param(
            parse_gemfile_lock,
            GEMFILE,
            {
                ("actionpack@7.0.1", "rack@2.2.3"),
                ("actionpack@7.0.1", "rails-html-sanitizer@1.4.2"),
                ("nokogiri@1.16.0", "racc@1.7.3"),
                ("rails-html-sanitizer@1.4.2", "nokogiri@1.16.0"),
            },
            id="gemfile",
        ),
        pytest.param(
            parse_composer_lock,
            json.dumps(COMPOSER, indent=4),
            {
                ("monolog/monolog@3.5.0", "psr/log@3.0.0"),  # php and ext-json: no package
                ("phpunit/phpunit@10.5.0", "monolog/monolog@3.5.0"),  # names ignore case
            },
            id="composer",
        ),
    ],
)
def test_lockfile_parsers_record_the_graph(
    parser: Parser, text: str, expected: set[tuple[str, str]]
) -> None:
    packages = parser(textwrap.dedent(text), "lock")
    assert _edges(packages) == expected


def test_npm_keeps_direct_and_dev_flags_alongside_edges() -> None:
    packages = {p.name: p for p in parse_npm_lock(json.dumps(NPM_V3, indent=2), "lock")}
    assert packages["a"].direct is True
    assert packages["d"].direct is False
    assert packages["a"].locations[0].line is not None


def test_a_lock_repeating_a_package_merges_its_edges() -> None:
    repeated = POETRY + '\n[[package]]\nname = "requests"\nversion = "2.31.0"\n\n'
    repeated += (
        '[package.dependencies]\nidna = "*"\n\n[[package]]\nname = "idna"\nversion = "3.7"\n'
    )
    packages = {p.name: p for p in parse_poetry_lock(repeated, "poetry.lock")}
    assert len(packages["requests"].depends_on) == 3


def _package(name: str, *, direct: bool | None = None, depends_on: tuple[str, ...] = ()) -> Package:
    return Package.create(
        name=name,
        version="1.0.0",
        ecosystem="npm",
        locations=(PackageLocation(path="package-lock.json"),),
        direct=direct,
        depends_on=depends_on,
    )


def _purl(name: str) -> str:
    return f"pkg:npm/{name}@1.0.0"


def _graph_result() -> ScanResult:
    """app -> lib -> core; tool (direct) -> core; lone stands apart; lib also names a
    package the inventory does not hold."""
    packages = (
        _package("app", direct=True, depends_on=(_purl("lib"),)),
        _package("lib", direct=False, depends_on=(_purl("core"), _purl("absent"))),
        _package("core", direct=False),
        _package("tool", direct=True, depends_on=(_purl("core"),)),
        _package("lone"),
    )
    return replace(build_sbom_sample_result(), packages=packages, operating_system=None)


def test_graph_roots_are_declared_packages_and_unrequired_ones() -> None:
    manifests, placeless = manifest_roots(_graph_result().packages)
    assert manifests == {"package-lock.json": sorted([_purl("app"), _purl("lone"), _purl("tool")])}
    assert placeless == []
    edges = dependency_graph(unique_packages(_graph_result().packages))
    assert edges[_purl("lib")] == [_purl("core")]  # the absent package is no edge


def test_a_cycle_nothing_declares_is_still_reached_from_its_manifest() -> None:
    packages = [
        _package("a", direct=False, depends_on=(_purl("b"),)),
        _package("b", direct=False, depends_on=(_purl("a"),)),
        _package("c", direct=False, depends_on=(_purl("a"),)),
        _package("d", direct=False, depends_on=(_purl("e"),)),
        _package("e", direct=False, depends_on=(_purl("d"),)),
    ]
    manifests, _ = manifest_roots(packages)
    # c is required by nobody (a root and reaches the a-b cycle); d-e is reached by nothing
    assert manifests == {"package-lock.json": [_purl("c"), _purl("d")]}


def test_merged_packages_union_their_edges() -> None:
    first = _package("app", depends_on=(_purl("a"),))
    second = replace(
        first,
        locations=(PackageLocation(path="other/package-lock.json"),),
        depends_on=(_purl("b"), _purl("a")),
    )
    (merged,) = unique_packages([first, second])
    assert merged.depends_on == (_purl("a"), _purl("b"))


def _render(fmt: OutputFormat, result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(formatter_for(fmt).render(result, ReportContext()))
    return data


def test_cyclonedx_dependencies_follow_the_graph(cdx_validator: Draft7Validator) -> None:  # noqa: F811
    document = _render(OutputFormat.CYCLONEDX, _graph_result())
    errors = sorted(cdx_validator.iter_errors(document), key=str)
    assert not errors, errors[0].message if errors else ""
    depends = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert {c["bom-ref"] for c in document["components"]} | {TARGET_REF} == set(depends)
    assert depends[TARGET_REF] == [MANIFEST_REF + "package-lock.json"]
    assert set(depends[MANIFEST_REF + "package-lock.json"]) == {
        _purl("app"),
        _purl("tool"),
        _purl("lone"),
    }
    assert depends[_purl("app")] == [_purl("lib")]
    assert depends[_purl("lib")] == [_purl("core")]
    assert depends[_purl("core")] == []


def test_spdx_relationships_follow_the_graph() -> None:
    document = _render(OutputFormat.SPDX, _graph_result())
    relations = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in document["relationships"]
    }
    assert (DOCUMENT_ID, "DESCRIBES", TARGET_ID) in relations
    depends = {(a, b) for a, kind, b in relations if kind == "DEPENDS_ON"}
    ids = {name: spdx_id_for(_purl(name)) for name in ("app", "lib", "core", "tool", "lone")}
    manifest = manifest_id_for("package-lock.json")
    assert depends == {
        (TARGET_ID, manifest),
        (manifest, ids["app"]),
        (manifest, ids["tool"]),
        (manifest, ids["lone"]),
        (ids["app"], ids["lib"]),
        (ids["lib"], ids["core"]),
        (ids["tool"], ids["core"]),
    }
    every_id = {p["SPDXID"] for p in document["packages"]}
    assert {b for _, b in depends} <= every_id


@pytest.mark.parametrize("fmt", [OutputFormat.CYCLONEDX, OutputFormat.SPDX])
def test_the_reader_takes_the_graph_back(fmt: OutputFormat) -> None:
    text = formatter_for(fmt).render(_graph_result(), ReportContext())
    document = parse_sbom(text.encode(), "bom.json")
    packages = {p.name: p for p in document.packages}
    assert packages["app"].depends_on == (_purl("lib"),)
    assert set(packages["tool"].depends_on) == {_purl("core")}
    assert packages["core"].depends_on == ()
    assert packages["app"].direct is True
    assert packages["lib"].direct is False


def test_the_reader_takes_directness_from_the_described_product() -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "root"}},
        "components": [
            {"type": "library", "name": "a", "bom-ref": "a", "purl": "pkg:npm/a@1.0.0"},
            {"type": "library", "name": "b", "bom-ref": "b", "purl": "pkg:npm/b@1.0.0"},
        ],
        "dependencies": [{"ref": "root", "dependsOn": ["a"]}, {"ref": "a", "dependsOn": ["b"]}],
    }
    packages = {p.name: p for p in parse_sbom(json.dumps(document).encode(), "bom.json").packages}
    assert (packages["a"].direct, packages["b"].direct) == (True, False)
    assert packages["a"].depends_on == ("pkg:npm/b@1.0.0",)


def test_spdx_dependency_of_is_read_as_the_reverse_edge() -> None:
    def package(name: str) -> dict[str, Any]:
        return {
            "SPDXID": f"SPDXRef-{name}",
            "name": name,
            "externalRefs": [{"referenceType": "purl", "referenceLocator": f"pkg:npm/{name}@1"}],
        }

    document = {
        "spdxVersion": "SPDX-2.3",
        "packages": [package("a"), package("b")],
        "relationships": [
            {
                "spdxElementId": "SPDXRef-b",
                "relationshipType": "DEPENDENCY_OF",
                "relatedSpdxElement": "SPDXRef-a",
            }
        ],
    }
    packages = {p.name: p for p in parse_sbom(json.dumps(document).encode(), "s.json").packages}
    assert packages["a"].depends_on == ("pkg:npm/b@1",)
    assert packages["a"].direct is None  # the document describes nothing


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"bomFormat": "CycloneDX", "specVersion": "1.2", "dependencies": {}}, "dependencies is"),
        (
            {"bomFormat": "CycloneDX", "specVersion": "1.2", "dependencies": [{"dependsOn": 1}]},
            "a dependencies entry",
        ),
        ({"spdxVersion": "SPDX-2.3", "packages": [], "relationships": [1]}, "relationships is"),
    ],
)
def test_a_broken_graph_is_a_clear_error(
    document: dict[str, Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As without the sbom extra: no schema check catches the shape first.
    monkeypatch.setattr(reader, "_check_schema", lambda data, version, path: None)
    with pytest.raises(SbomError, match=reason):
        parse_sbom(json.dumps(document).encode(), "b.json")


def test_a_real_lockfile_graph_reaches_every_component(
    cdx_validator: Draft7Validator,  # noqa: F811
) -> None:
    lock: Path = corpus_path("microservices-demo", "src", "currencyservice", "package-lock.json")
    packages = parse_npm_lock(lock.read_text(encoding="utf-8"), "package-lock.json")
    assert sum(len(p.depends_on) for p in packages) > len(packages)
    result = replace(build_sbom_sample_result(), packages=packages, operating_system=None)
    document = _render(OutputFormat.CYCLONEDX, result)
    errors = sorted(cdx_validator.iter_errors(document), key=str)
    assert not errors, errors[0].message if errors else ""
    depends = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    reached: set[str] = set()
    pending = [TARGET_REF]
    while pending:
        ref = pending.pop()
        for child in depends[ref]:
            if child not in reached:
                reached.add(child)
                pending.append(child)
    assert reached == {c["bom-ref"] for c in document["components"]}


NPM_V1 = {
    "name": "legacy",
    "lockfileVersion": 1,
    "dependencies": {
        "a": {
            "version": "1.0.0",
            "requires": {"b": "^2.0.0", "c": "^1.0.0", "missing": "*"},
            "dependencies": {
                "b": {"version": "2.0.0", "requires": {"c": "^1.0.0"}},
            },
        },
        "b": {"version": "1.0.0", "dev": True},
        "c": {"version": "1.0.0", "requires": {"b": "^1.0.0"}},
    },
}


def test_npm_v1_requires_resolve_through_the_nesting() -> None:
    packages = parse_npm_lock(json.dumps(NPM_V1, indent=2), "package-lock.json")
    # a's own nested b wins over the top-level one; c (top level) sees the top-level b;
    # a name installed nowhere gives no edge
    assert _edges(packages) == {
        ("a@1.0.0", "b@2.0.0"),
        ("a@1.0.0", "c@1.0.0"),
        ("b@2.0.0", "c@1.0.0"),
        ("c@1.0.0", "b@1.0.0"),
    }
    by_version = {(p.name, p.version): p for p in packages}
    assert by_version["b", "1.0.0"].dev
    assert all(p.direct is None for p in packages)  # version 1 does not say


def _in(path: str, package: Package) -> Package:
    return replace(package, locations=(PackageLocation(path=path),))


def test_each_manifest_roots_its_own_packages() -> None:
    """A monorepo: ``web`` declares app (which needs lib), ``cli`` declares lib itself."""
    packages = [
        _in("web/package-lock.json", _package("app", direct=True, depends_on=(_purl("lib"),))),
        _in("web/package-lock.json", _package("lib", direct=False)),
        _in("cli/package-lock.json", _package("lib", direct=True)),
        replace(_package("loose"), locations=()),
    ]
    manifests, placeless = manifest_roots(packages)
    assert manifests == {
        "cli/package-lock.json": [_purl("lib")],
        "web/package-lock.json": [_purl("app")],
    }
    assert placeless == [_purl("loose")]
    result = replace(build_sbom_sample_result(), packages=tuple(packages), operating_system=None)
    document = _render(OutputFormat.CYCLONEDX, result)
    depends = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert depends[TARGET_REF] == [
        _purl("loose"),
        MANIFEST_REF + "cli/package-lock.json",
        MANIFEST_REF + "web/package-lock.json",
    ]
    assert depends[MANIFEST_REF + "cli/package-lock.json"] == [_purl("lib")]


@pytest.mark.parametrize("fmt", [OutputFormat.CYCLONEDX, OutputFormat.SPDX])
def test_manifests_are_structure_when_read_back(fmt: OutputFormat) -> None:
    text = formatter_for(fmt).render(_graph_result(), ReportContext())
    document = parse_sbom(text.encode(), "bom.json")
    assert document.skipped == 0  # the manifest is no package left unscanned
    assert {p.name for p in document.packages} == {"app", "lib", "core", "tool", "lone"}


def test_directness_is_read_through_grouping_components() -> None:
    """As Trivy writes it: product -> lockfile application (no purl) -> libraries."""
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "name": "repo", "bom-ref": "root"}},
        "components": [
            {"type": "application", "name": "package-lock.json", "bom-ref": "lock"},
            {"type": "library", "name": "a", "bom-ref": "a", "purl": "pkg:npm/a@1.0.0"},
            {"type": "library", "name": "b", "bom-ref": "b", "purl": "pkg:npm/b@1.0.0"},
            {"type": "library", "name": "x", "bom-ref": "x"},  # no purl, no children
        ],
        "dependencies": [
            {"ref": "root", "dependsOn": ["lock"]},
            {"ref": "lock", "dependsOn": ["a"]},
            {"ref": "a", "dependsOn": ["b"]},
        ],
    }
    read = parse_sbom(json.dumps(document).encode(), "bom.json")
    packages = {p.name: p for p in read.packages}
    assert (packages["a"].direct, packages["b"].direct) == (True, False)
    assert read.skipped == 1  # x: a package that cannot be matched, still said


def test_the_json_report_keeps_the_graph_and_directness() -> None:
    result = _graph_result()
    text = formatter_for(OutputFormat.JSON).render(result, ReportContext())
    written = {p["name"]: p for p in json.loads(text)["packages"]}
    assert written["lib"]["depends_on"] == [_purl("core"), _purl("absent")]
    assert (written["app"]["direct"], written["lib"]["direct"]) == (True, False)
    assert "depends_on" not in written["core"]  # left out when empty, as other fields
    loaded = {p.name: p for p in load_result(text, source="report.json").packages}
    assert loaded == {p.name: p for p in result.packages}
