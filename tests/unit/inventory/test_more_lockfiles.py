"""pdm.lock, pylock.toml, npm-shrinkwrap.json, packages.lock.json, mix.lock,
pubspec.lock, renv.lock and conan.lock beyond the osv-scanner corpus: the fields the
corpus does not check (direct, dev, lines, purls) and malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.scan.interface import FileContent, FileEntry, ScanError
from secloop.scan.inventory import language_analyzers
from secloop.scan.inventory.conan import parse_conan_lock
from secloop.scan.inventory.mix import parse_mix_lock
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.inventory.nuget import parse_nuget_lock
from secloop.scan.inventory.pdm import parse_pdm_lock
from secloop.scan.inventory.pub import parse_pubspec_lock
from secloop.scan.inventory.pylock import parse_pylock
from secloop.scan.inventory.renv import parse_renv_lock

FIXTURES = Path(__file__).parents[2] / "fixtures" / "inventory"


@pytest.mark.parametrize(
    ("path", "claimed_by"),
    [
        ("pdm.lock", "pdm-lock"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
        ("app/npm-shrinkwrap.json", "npm-lock"),
        ("pom.xml", "maven-pom"),
        ("maven-dependency-tree.txt", "maven-dependency-tree"),
        ("dependency-tree.txt", "maven-dependency-tree"),
        ("gradle.lockfile", "gradle-lock"),
        ("buildscript-gradle.lockfile", "gradle-lock"),
        ("gradle/verification-metadata.xml", "gradle-verification-metadata"),
        ("src/App/packages.lock.json", "nuget-lock"),
        ("mix.lock", "mix-lock"),
        ("pubspec.lock", "pubspec-lock"),
        ("renv.lock", "renv-lock"),
        ("conan.lock", "conan-lock"),
        ("pylock.a.b.toml", None),
        ("pom.xml.bak", None),
    ],
)
def test_each_new_format_is_claimed_by_one_analyzer(path: str, claimed_by: str | None) -> None:
    entry = FileEntry(path=path, size=1)
    claimed = [a.name for a in language_analyzers() if a.applies_to(entry)]
    assert claimed == ([claimed_by] if claimed_by else [])


def test_pdm_marks_packages_only_the_dev_group_needs() -> None:
    text = (
        '[metadata]\ngroups = ["default", "dev"]\nlock_version = "4.4.1"\n\n'
        '[[package]]\nname = "Django"\nversion = "4.2.1"\ngroups = ["default", "dev"]\n\n'
        '[[package]]\nname = "pytest"\nversion = "8.0.0"\ngroups = ["dev"]\n'
    )
    packages = parse_pdm_lock(text, "pdm.lock")
    assert [(p.name, p.dev, p.direct, p.locations[0].line) for p in packages] == [
        ("django", False, None, 5),
        ("pytest", True, None, 10),
    ]


def test_pylock_from_the_pep_example() -> None:
    text = (FIXTURES / "pylock.toml").read_text()
    packages = parse_pylock(text, "pylock.toml")
    assert [(p.name, p.version, p.purl) for p in packages] == [
        ("attrs", "25.1.0", "pkg:pypi/attrs@25.1.0"),
        ("cattrs", "24.1.2", "pkg:pypi/cattrs@24.1.2"),
        ("numpy", "2.2.3", "pkg:pypi/numpy@2.2.3"),
        ("my-fork", "", "pkg:pypi/my-fork"),  # a VCS checkout without a version
    ]
    lines = text.splitlines()
    for package in packages:
        line = package.locations[0].line
        assert line is not None
        assert lines[line - 1] == "[[packages]]"
        assert lines[line].lower() == f"name = '{package.name}'"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("lock-version = '2.0'\ncreated-by = 'x'\n", "unsupported lock-version '2.0'"),
        ("created-by = 'x'\n", "unsupported lock-version None"),
        ("lock-version = '1.0'\npackages = 3\n", "'packages' is not an array"),
        ("lock-version = '1.0'\n[[packages]]\nversion = '1'\n", "a package has no name"),
        ("lock-version = \n", "not valid TOML"),
    ],
)
def test_a_bad_pylock_is_an_error_naming_the_file(text: str, reason: str) -> None:
    with pytest.raises(ScanError, match=r"^pylock.toml: could not extract from file: ") as err:
        parse_pylock(text, "pylock.toml")
    assert reason in str(err.value)


def test_npm_shrinkwrap_reads_as_a_package_lock() -> None:
    shrinkwrap = {
        "name": "cli",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "cli", "dependencies": {"minimist": "^1.2.0"}},
            "node_modules/minimist": {"version": "1.2.5", "license": "MIT"},
        },
    }
    (package,) = parse_npm_lock(json.dumps(shrinkwrap, indent=2), "npm-shrinkwrap.json")
    assert (package.name, package.version, package.direct, package.license) == (
        "minimist",
        "1.2.5",
        True,
        "MIT",
    )


NUGET = """{
  "version": 2,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1"
      },
      "System.Text.Json": {
        "type": "CentralTransitive",
        "requested": "[8.0.0, )",
        "resolved": "8.0.4"
      },
      "MyCompany.Shared": {
        "type": "Project"
      }
    }
  }
}
"""


def test_nuget_marks_direct_packages_and_leaves_out_project_references() -> None:
    packages = parse_nuget_lock(NUGET, "packages.lock.json")
    assert [(p.name, p.version, p.direct, p.locations[0].line, p.purl) for p in packages] == [
        ("Newtonsoft.Json", "13.0.1", True, 5, "pkg:nuget/Newtonsoft.Json@13.0.1"),
        ("System.Text.Json", "8.0.4", False, 10, "pkg:nuget/System.Text.Json@8.0.4"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"version": 3, "dependencies": {}}', "unsupported lock file version 3"),
        ('{"version": 1, "dependencies": {"net8.0": []}}', "framework 'net8.0' is not a mapping"),
        (
            '{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Direct"}}}}',
            "A (net8.0) has no resolved version",
        ),
        ("[]", "the document is not a mapping"),
    ],
)
def test_a_bad_nuget_lock_is_an_error_naming_the_file(text: str, reason: str) -> None:
    with pytest.raises(ScanError, match=r"^packages.lock.json: could not extract") as err:
        parse_nuget_lock(text, "packages.lock.json")
    assert reason in str(err.value)


def test_mix_uses_the_hex_package_name_and_keeps_git_dependencies_unversioned() -> None:
    text = (
        "%{\n"
        '  "cowboy": {:hex, :cowboy, "2.10.0", "ff9ffeff91dae4ae270dd975642997afe2a1179d94b1887863e43f681a203e26", [:make, :rebar3], [], "hexpm", "3afdccb7183cc6f143cb14d3cf51fa00e53db9ec80cdcd525482f5e99bc41d6b"},\n'  # noqa: E501
        '  "my_json": {:hex, :jason, "1.4.1", "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", [:mix], [], "hexpm", "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1"},\n'  # noqa: E501
        '  "lib": {:git, "https://github.com/org/lib.git", "a9574ab75d6ed01e1288c453ae1d943d7a964595", []},\n'  # noqa: E501
        "}\n"
    )
    packages = parse_mix_lock(text, "mix.lock")
    assert [(p.name, p.version, p.locations[0].line, p.purl) for p in packages] == [
        ("cowboy", "2.10.0", 2, "pkg:hex/cowboy@2.10.0"),
        ("jason", "1.4.1", 3, "pkg:hex/jason@1.4.1"),
        ("lib", "", 4, "pkg:hex/lib"),
    ]


def test_a_file_that_is_no_mix_map_is_an_error_naming_it() -> None:
    with pytest.raises(ScanError, match=r"^deps/mix.lock: could not extract .* not a mix.lock"):
        parse_mix_lock("[plug: 1]\n", "deps/mix.lock")


PUBSPEC = """# Generated by pub
packages:
  http:
    dependency: "direct main"
    description:
      name: http
      url: "https://pub.dev"
    source: hosted
    version: "1.1.0"
  # a comment at an odd place
  lints:
    dependency: "direct dev"
    description:
      name: lints
      url: "https://pub.dev"
    source: hosted
    version: "3.0.0"
  meta:
    dependency: transitive
    source: hosted
    version: "1.11.0"
sdks:
  dart: ">=3.2.0 <4.0.0"
"""


def test_pubspec_tells_direct_dev_and_transitive_packages_with_their_lines() -> None:
    packages = parse_pubspec_lock(PUBSPEC, "pubspec.lock")
    assert [(p.name, p.direct, p.dev, p.locations[0].line, p.purl) for p in packages] == [
        ("http", True, False, 3, "pkg:pub/http@1.1.0"),
        ("lints", True, True, 11, "pkg:pub/lints@3.0.0"),
        ("meta", False, False, 18, "pkg:pub/meta@1.11.0"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("packages:\n  http:\n    source: hosted\n", "package 'http' has no version"),
        ("packages:\n  http: 1.0\n", "package 'http' is not a mapping"),
        ("packages: [a]\n", "'packages' is not a mapping"),
    ],
)
def test_a_bad_pubspec_lock_is_an_error_naming_the_file(text: str, reason: str) -> None:
    with pytest.raises(ScanError, match=r"^pubspec.lock: could not extract") as err:
        parse_pubspec_lock(text, "pubspec.lock")
    assert reason in str(err.value)


RENV = """{
  "R": {"Version": "4.3.1"},
  "Packages": {
    "jsonlite": {
      "Package": "jsonlite",
      "Version": "1.8.7",
      "Source": "Repository",
      "Repository": "CRAN"
    },
    "devpkg": {
      "Package": "devpkg",
      "Version": "0.1.0",
      "Source": "GitHub"
    }
  }
}
"""


def test_renv_reports_cran_packages_only() -> None:
    (package,) = parse_renv_lock(RENV, "renv.lock")
    assert (package.name, package.version, package.locations[0].line, package.purl) == (
        "jsonlite",
        "1.8.7",
        4,
        "pkg:cran/jsonlite@1.8.7",
    )


def test_a_cran_package_without_a_version_is_an_error_naming_the_file() -> None:
    text = '{"Packages": {"x": {"Package": "x", "Repository": "CRAN"}}}'
    with pytest.raises(ScanError, match=r"^renv.lock: could not extract .* 'x' has no version"):
        parse_renv_lock(text, "renv.lock")


CONAN_V1 = """{
 "graph_lock": {
  "nodes": {
   "0": {"ref": "app/1.0", "path": "conanfile.py", "requires": ["1"], "build_requires": ["3"]},
   "1": {"ref": "openssl/3.1.1#rev1", "requires": ["2"], "context": "host"},
   "2": {"ref": "zlib/1.3@user/stable#rev2", "context": "host"},
   "3": {"ref": "cmake/3.27.1", "context": "build"}
  }
 },
 "version": "0.4"
}
"""


def test_conan_v1_marks_the_root_requirements_direct_and_build_tools_dev() -> None:
    packages = parse_conan_lock(CONAN_V1, "conan.lock")
    assert [(p.name, p.version, p.direct, p.dev, p.locations[0].line) for p in packages] == [
        ("openssl", "3.1.1", True, False, 5),
        ("zlib", "1.3", False, False, 6),
        ("cmake", "3.27.1", False, True, 7),
    ]
    assert packages[0].ecosystem == "ConanCenter"


def test_conan_v2_marks_build_requirements_dev() -> None:
    text = json.dumps(
        {
            "version": "0.5",
            "requires": ["zlib/1.3#abc%1700000000.1"],
            "build_requires": ["cmake/3.27.1#def%1700000000.2"],
            "python_requires": ["pyreq/1.0#x%1"],
        },
        indent=2,
    )
    packages = parse_conan_lock(text, "conan.lock")
    assert [(p.name, p.version, p.dev, p.locations[0].line) for p in packages] == [
        ("zlib", "1.3", False, 4),
        ("cmake", "3.27.1", True, 7),
    ]


def test_a_bad_conan_lock_is_an_error_naming_the_file() -> None:
    with pytest.raises(ScanError, match=r"^conan.lock: could not extract .*'graph_lock'"):
        parse_conan_lock('{"graph_lock": []}', "conan.lock")


def test_a_reference_written_with_json_escapes_has_no_line() -> None:
    text = '{"version": "0.5",\n"requires": ["zlib\\/1.3", "bzip2/1.0.8", "bzip2/1.0.8"]}'
    packages = parse_conan_lock(text, "conan.lock")
    assert [(p.name, p.version, p.locations[0].line) for p in packages] == [
        ("zlib", "1.3", None),
        ("bzip2", "1.0.8", 2),
    ]


SMALLEST = {
    "pdm.lock": '[[package]]\nname = "six"\nversion = "1.16.0"\n',
    "pylock.toml": "lock-version = '1.0'\n[[packages]]\nname = 'six'\nversion = '1.16.0'\n",
    "pom.xml": (
        "<project><dependencies><dependency><groupId>g</groupId><artifactId>six</artifactId>"
        "<version>1.16.0</version></dependency></dependencies></project>"
    ),
    "dependency-tree.txt": "g:app:jar:1\n\\- g:six:jar:1.16.0:compile\n",
    "gradle.lockfile": "g:six:1.16.0=runtimeClasspath\n",
    "verification-metadata.xml": (
        '<verification-metadata><components><component group="g" name="six" '
        'version="1.16.0"/></components></verification-metadata>'
    ),
    "packages.lock.json": (
        '{"version": 1, "dependencies": {"net8.0": {"six": {"type": "Direct", '
        '"resolved": "1.16.0"}}}}'
    ),
    "mix.lock": '%{\n  "six": {:hex, :six, "1.16.0", "x", [:mix], [], "hexpm", "y"},\n}\n',
    "pubspec.lock": "packages:\n  six:\n    dependency: transitive\n    version: '1.16.0'\n",
    "renv.lock": '{"Packages": {"six": {"Version": "1.16.0", "Repository": "CRAN"}}}',
    "conan.lock": '{"version": "0.5", "requires": ["six/1.16.0"]}',
}


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_each_analyzer_reads_its_file_into_packages(name: str) -> None:
    data = SMALLEST[name].encode()
    content = FileContent(entry=FileEntry(path=f"app/{name}", size=len(data)), data=data)
    (analyzer,) = [a for a in language_analyzers() if a.applies_to(content.entry)]
    (package,) = analyzer.analyze(content).packages
    assert package.name.rsplit(":", 1)[-1] == "six"
    assert package.version == "1.16.0"
    assert package.locations[0].path == f"app/{name}"
