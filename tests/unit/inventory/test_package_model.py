"""Lines, direct vs transitive, dev-only and declared licences, format by format."""

from __future__ import annotations

import json
from textwrap import dedent

import pytest

from secloop.core.package import Package, PackageLocation
from secloop.scan.inventory._common import JsonKeyLines, dedupe, make_package
from secloop.scan.inventory.cargo import parse_cargo_lock
from secloop.scan.inventory.composer import parse_composer_lock
from secloop.scan.inventory.gemfile import parse_gemfile_lock
from secloop.scan.inventory.gomod import parse_go_mod
from secloop.scan.inventory.installed.node import parse_package_json
from secloop.scan.inventory.installed.python import parse_core_metadata
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.inventory.pipenv import parse_pipfile_lock
from secloop.scan.inventory.pnpm import parse_pnpm_lock
from secloop.scan.inventory.poetry import parse_poetry_lock
from secloop.scan.inventory.requirements import parse_requirements
from secloop.scan.inventory.uv import parse_uv_lock
from secloop.scan.inventory.yarn import parse_yarn_lock
from tests.conftest import corpus_path

Facts = tuple[int | None, bool | None, str | None, bool]  # line, direct, licence, dev


def _facts(packages: tuple[Package, ...]) -> dict[str, Facts]:
    return {p.name: (p.locations[0].line, p.direct, p.license, p.dev) for p in packages}


NPM_V3 = """\
{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "dependencies": {
        "a": "^1.0.0",
        "alias": "npm:real@^2"
      },
      "devDependencies": {
        "jest": "^29"
      }
    },
    "node_modules/a": {
      "version": "1.0.0",
      "license": "mit",
      "dependencies": {
        "b": "^2"
      }
    },
    "node_modules/a/node_modules/b": {
      "version": "2.0.0",
      "license": {"type": "ISC"}
    },
    "node_modules/alias": {
      "name": "real",
      "version": "2.1.0",
      "license": "Apache 2.0"
    },
    "node_modules/jest": {
      "version": "29.0.0",
      "dev": true,
      "license": "MIT"
    },
    "node_modules/b": {
      "version": "3.0.0"
    }
  }
}
"""


def test_package_lock_v3_lines_direct_licences_and_dev() -> None:
    found = {
        (p.name, p.version): (p.locations[0].line, p.direct, p.license, p.dev)
        for p in parse_npm_lock(NPM_V3, "package-lock.json")
    }
    assert found == {
        ("a", "1.0.0"): (15, True, "MIT", False),
        ("b", "2.0.0"): (22, False, "ISC", False),  # nested under a: transitive
        ("real", "2.1.0"): (26, True, "Apache-2.0", False),  # declared by its alias
        ("jest", "29.0.0"): (31, True, "MIT", True),
        ("b", "3.0.0"): (36, False, None, False),  # hoisted, but nobody declared it
    }


def test_package_lock_v1_has_lines_and_dev_but_not_direct() -> None:
    text = dedent("""\
        {
          "lockfileVersion": 1,
          "dependencies": {
            "a": {
              "version": "1.0.0",
              "requires": {
                "b": "^2"
              },
              "dependencies": {
                "b": {
                  "version": "2.0.0",
                  "dev": true
                }
              }
            },
            "b": {
              "version": "3.0.0"
            }
          }
        }
        """)
    found = {(p.name, p.version): p for p in parse_npm_lock(text, "package-lock.json")}
    assert {k: (p.locations[0].line, p.direct, p.dev) for k, p in found.items()} == {
        ("a", "1.0.0"): (4, None, False),
        ("b", "2.0.0"): (10, None, True),
        ("b", "3.0.0"): (16, None, False),
    }


def test_minified_json_has_no_lines() -> None:
    minified = json.dumps(json.loads(NPM_V3))
    assert {p.locations[0].line for p in parse_npm_lock(minified, "package-lock.json")} == {None}


def test_json_key_lines_search_forward_only() -> None:
    lines = JsonKeyLines('{\n  "a": {\n    "a": [\n    ]\n  },\n  "b": {}\n}\n')
    assert (lines.find("a"), lines.find("a"), lines.find("a"), lines.find("b")) == (2, 3, None, 6)


def test_requirements_are_direct_at_their_first_physical_line() -> None:
    text = "# pins\nflask==2.0.1 \\\n    --hash=sha256:abc\n\\\nrequests==2.31.0\n"
    assert _facts(parse_requirements(text, "requirements.txt")) == {
        "flask": (2, True, None, False),
        "requests": (4, True, None, False),
    }


def test_go_mod_indirect_requirements_are_transitive() -> None:
    text = dedent("""\
        module example.com/app

        go 1.22

        require (
            golang.org/x/net v0.20.0 // indirect
            github.com/gorilla/mux v1.8.1
        )

        require golang.org/x/text v0.14.0 //indirect
        """)
    assert _facts(parse_go_mod(text, "go.mod")) == {
        "golang.org/x/net": (6, False, None, False),
        "github.com/gorilla/mux": (7, True, None, False),
        "golang.org/x/text": (10, False, None, False),
        "stdlib": (3, None, None, False),
    }


def test_gemfile_lock_dependencies_section_marks_direct_gems() -> None:
    text = corpus_path("osv-lockfile-fixtures", "fixtures/bundler/rails.lock").read_text()
    packages = parse_gemfile_lock(text, "Gemfile.lock")
    direct = {p.name for p in packages if p.direct}
    assert direct == {"rails"}
    assert all(p.direct is False for p in packages if p.name != "rails")
    without_section = parse_gemfile_lock("GEM\n  specs:\n    rack (2.0.1)\n", "Gemfile.lock")
    assert _facts(without_section) == {"rack": (3, None, None, False)}


def test_poetry_lock_lines_are_the_package_headers() -> None:
    text = (
        '[[package]]\nname = "Flask"\nversion = "2.0.1"\n\n'
        '[[package]]\nname = "click"\nversion = "8.1.0"\n'
    )
    assert _facts(parse_poetry_lock(text, "poetry.lock")) == {
        "flask": (1, None, None, False),
        "click": (5, None, None, False),
    }


def test_uv_lock_direct_and_dev_from_the_project_entry() -> None:
    text = dedent("""\
        version = 1

        [[package]]
        name = "app"
        version = "0.1.0"
        source = { editable = "." }
        dependencies = [{ name = "httpx" }]

        [package.dev-dependencies]
        dev = [{ name = "pytest" }]

        [[package]]
        name = "httpx"
        version = "0.27.0"
        dependencies = [{ name = "anyio" }]

        [[package]]
        name = "anyio"
        version = "4.0.0"

        [[package]]
        name = "pytest"
        version = "8.0.0"
        """)
    assert _facts(parse_uv_lock(text, "uv.lock")) == {
        "httpx": (12, True, None, False),
        "anyio": (17, False, None, False),
        "pytest": (21, True, None, True),
    }


def test_uv_lock_without_a_project_entry_does_not_tell() -> None:
    text = '[[package]]\nname = "anyio"\nversion = "4.0.0"\n'
    assert _facts(parse_uv_lock(text, "uv.lock")) == {"anyio": (1, None, None, False)}


def test_cargo_lock_direct_from_the_workspace_crates() -> None:
    text = dedent("""\
        version = 3

        [[package]]
        name = "app"
        version = "0.1.0"
        dependencies = [
         "serde",
         "rand 0.8.5",
        ]

        [[package]]
        name = "serde"
        version = "1.0.0"
        source = "registry+https://github.com/rust-lang/crates.io-index"

        [[package]]
        name = "rand"
        version = "0.8.5"
        source = "registry+https://github.com/rust-lang/crates.io-index"

        [[package]]
        name = "rand"
        version = "0.7.3"
        source = "registry+https://github.com/rust-lang/crates.io-index"
        """)
    found = {
        (p.name, p.version): (p.locations[0].line, p.direct)
        for p in parse_cargo_lock(text, "Cargo.lock")
    }
    assert found == {
        ("app", "0.1.0"): (3, None),  # the workspace's own crate
        ("serde", "1.0.0"): (11, True),
        ("rand", "0.8.5"): (16, True),
        ("rand", "0.7.3"): (21, False),
    }
    only_registry = '[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+x"\n'
    assert parse_cargo_lock(only_registry, "Cargo.lock")[0].direct is None


def test_pnpm_importers_mark_direct_and_dev() -> None:
    fixtures = "fixtures/pnpm/"
    for name in ("mixed-groups.v6.yaml", "mixed-groups.v9.yaml"):
        text = corpus_path("osv-lockfile-fixtures", fixtures + name).read_text()
        assert {p.direct for p in parse_pnpm_lock(text, name)} == {True}
    advanced = corpus_path("osv-lockfile-fixtures", fixtures + "peer-dependencies-advanced.yaml")
    packages = parse_pnpm_lock(advanced.read_text(), "pnpm-lock.yaml")
    assert {p.name for p in packages if p.direct} == {
        "@typescript-eslint/eslint-plugin",
        "@typescript-eslint/parser",
        "eslint",
    }
    v6 = corpus_path("osv-lockfile-fixtures", fixtures + "mixed-groups.v6.yaml").read_text()
    assert {p.name for p in parse_pnpm_lock(v6, "pnpm-lock.yaml") if p.dev} == {"is-number"}
    assert (
        parse_pnpm_lock("lockfileVersion: 5.4\npackages:\n  /a/1.0.0: {}\n", "p")[0].direct is None
    )


def test_yarn_lines_for_classic_and_berry() -> None:
    classic = '# yarn\n\n"a@^1", a@^1.1:\n  version "1.2.0"\n\nb@2:\n  version "2.0.0"\n'
    assert _facts(parse_yarn_lock(classic, "yarn.lock")) == {
        "a": (3, None, None, False),
        "b": (6, None, None, False),
    }
    berry = (
        '__metadata:\n  version: 6\n\n"a@npm:^1":\n  version: 1.2.0\n  resolution: "a@npm:1.2.0"\n'
    )
    assert _facts(parse_yarn_lock(berry, "yarn.lock")) == {"a": (4, None, None, False)}


def test_pipfile_lock_develop_is_dev() -> None:
    text = dedent("""\
        {
            "_meta": {},
            "default": {
                "requests": {
                    "version": "==2.31.0"
                }
            },
            "develop": {
                "pytest": {
                    "version": "==8.0.0"
                }
            }
        }
        """)
    assert _facts(parse_pipfile_lock(text, "Pipfile.lock")) == {
        "requests": (4, None, None, False),
        "pytest": (9, None, None, True),
    }


def test_composer_lock_licences_lines_and_dev() -> None:
    text = dedent("""\
        {
            "packages": [
                {
                    "name": "monolog/monolog",
                    "version": "3.5.0",
                    "authors": [{"name": "Jordi"}],
                    "license": ["MIT"]
                },
                {
                    "name": "vendor\\/dual",
                    "version": "1.0.0",
                    "license": ["GPL-2.0-only", "mit"]
                }
            ],
            "packages-dev": [
                {
                    "name": "phpunit/phpunit",
                    "version": "10.0.0",
                    "license": "BSD-3-Clause"
                },
                {
                    "name": "odd/unlicensed",
                    "version": "1.0.0"
                }
            ]
        }
        """)
    assert _facts(parse_composer_lock(text, "composer.lock")) == {
        "monolog/monolog": (4, None, "MIT", False),
        "vendor/dual": (10, None, "(GPL-2.0-only) OR (MIT)", False),
        "phpunit/phpunit": (17, None, "BSD-3-Clause", True),
        "odd/unlicensed": (22, None, None, True),
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("License-Expression: mit OR apache-2.0\nLicense: BSD\n", "MIT OR Apache-2.0"),
        (
            "License: MIT License\nClassifier: License :: OSI Approved :: ISC License (ISCL)\n",
            "MIT",
        ),
        (
            "License: " + "text " * 40 + "\nClassifier: License :: OSI Approved :: MIT License\n",
            "MIT",
        ),
        (
            "Classifier: License :: OSI Approved :: MIT License\n"
            "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n"
            "Classifier: License :: OSI Approved\n",
            "MIT OR GPL-3.0-only",
        ),
        ("Classifier: License :: OSI Approved :: BSD License\n", "BSD License"),
        ("License: UNKNOWN\n", None),
        ("Classifier: Programming Language :: Python\n", None),
    ],
)
def test_python_metadata_licence(headers: str, expected: str | None) -> None:
    text = f"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n{headers}"
    (package,) = parse_core_metadata(text, PackageLocation(path="METADATA"))
    assert package.license == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"license": "(MIT OR Apache-2.0)"}, "(MIT OR Apache-2.0)"),
        ({"license": {"type": "ISC", "url": "x"}}, "ISC"),
        ({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}, "MIT OR Apache-2.0"),
        ({"licenses": [{"type": "BSD-2-Clause"}]}, "BSD-2-Clause"),
        ({"licenses": [{"url": "x"}]}, None),
        ({"licenses": "MIT"}, None),
        ({"license": "SEE LICENSE IN LICENSE.md"}, "SEE LICENSE IN LICENSE.md"),
        ({}, None),
    ],
)
def test_node_modules_package_json_licence(fields: dict[str, object], expected: str | None) -> None:
    text = json.dumps({"name": "demo", "version": "1.0.0", **fields})
    (package,) = parse_package_json(text, PackageLocation(path="node_modules/demo/package.json"))
    assert package.license == expected


def test_dedupe_keeps_the_first_entry_but_any_direct_and_all_dev() -> None:
    first = make_package("a", "1", "npm", "x", line=9, direct=False, dev=True)
    second = make_package("a", "1", "npm", "x", line=3, direct=True, dev=False)
    (merged,) = dedupe([first, second])
    assert (merged.locations[0].line, merged.direct, merged.dev) == (9, True, False)
    (same,) = dedupe([second, first])
    assert same is second


def test_composer_minified_and_empty_licences_are_not_guessed() -> None:
    text = (
        '{"packages": [{"name": "a/b", "version": "1.0.0", "license": []}], "packages-dev": null}'
    )
    (package,) = parse_composer_lock(text, "composer.lock")
    assert (package.locations[0].line, package.license, package.dev) == (None, None, False)


def test_vulnerability_location_without_a_place() -> None:
    from secloop.core.location import Location
    from secloop.scan.vuln.findings import package_location

    assert package_location(Package.create(name="a", version="1", ecosystem="npm")) == Location()
