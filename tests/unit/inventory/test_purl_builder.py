"""The fast purl writer gives exactly ``str(packageurl.PackageURL(...))``.

The reference is packageurl-python itself: on every package the lockfile parsers read
from the corpus fixtures, on hand-picked awkward spellings, and on random strings drawn
from an alphabet heavy in the characters where the purl rules bite (case, ``_``, ``+``,
``:``, ``@``, ``%``, ``/``, spaces, non-ASCII).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from secloop.core.package import build_purl, purl_type_for
from secloop.core.purl import purl_string
from secloop.scan.inventory.npm import parse_npm_lock
from tests.conftest import CORPUS_ROOT, corpus_path
from tests.unit.inventory.test_lockfile_fixtures import PARSERS

TYPES = [
    *("pypi", "npm", "golang", "maven", "nuget", "gem", "cargo", "composer", "pub", "hex"),
    *("cran", "conan", "hackage", "swift", "deb", "apk", "rpm", "generic"),
    "mlflow",  # a type the fast path does not know: always the reference
]


def _reference(
    purl_type: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    return str(
        PackageURL(
            type=purl_type,
            namespace=namespace,
            name=name,
            version=version,
            qualifiers=qualifiers or None,
        )
    )


REAL_LOCKFILES = [
    ("kubernetes-goat", "infrastructure", "internal-api", "code", "package-lock.json"),
    ("microservices-demo", "src", "currencyservice", "package-lock.json"),
    ("microservices-demo", "src", "paymentservice", "package-lock.json"),
]

AWKWARD = [
    ("pypi", None, "Zope_Interface", "1.0+local.1"),
    ("pypi", None, "a+b", "2!1.0.post1"),
    ("npm", "@Babel", "Core", "7.0.0-beta.1+build"),
    ("npm", "@types", "node", "20.1.0"),
    ("golang", "github.com/Azure/azure-sdk-for-go", "sdk", "v1.2.3+incompatible"),
    ("maven", "org.Apache.commons", "commons-Lang3", "3.12.0"),
    ("deb", "debian", "libc6", "2.36-9+deb12u4"),
    ("rpm", "redhat", "openssl-libs", "1:3.0.7-24.el9"),
    ("apk", "Alpine", "Busybox", "1.36.1-r5"),
    ("pub", None, "Flutter-Lints", "2.0.0"),
    ("hackage", None, "aeson_pretty", "0.8.9"),
    ("composer", "Symfony", "Console", "v6.0.0"),
    ("cargo", None, "serde", "1.0.0"),
    ("gem", None, "rails", "7.0.0 "),  # a space: the reference decides
    ("generic", None, "naïve", "1.0"),  # non-ASCII: the reference decides
    ("nuget", None, "Newtonsoft.Json", "13.0.1"),
    ("swift", "github.com/apple", "swift-nio", "2.0.0"),
    ("pypi", None, "percent%20name", "1.0"),
    ("npm", "a//b", "c", "1.0"),
    ("npm", None, "name", "1.0/beta"),
]


@pytest.mark.parametrize(("purl_type", "namespace", "name", "version"), AWKWARD)
def test_awkward_spellings_match_the_reference(
    purl_type: str, namespace: str | None, name: str, version: str
) -> None:
    for written in (version, None):
        expected = _reference(purl_type, namespace, name, written)
        assert purl_string(purl_type, namespace, name, written) == expected


def test_qualifiers_are_sorted_and_encoded_as_the_reference() -> None:
    qualifiers = {"distro": "debian-12", "arch": "amd64", "epoch": "1", "upstream": "a+b c"}
    for cut in range(len(qualifiers) + 1):
        chosen = dict(list(qualifiers.items())[:cut])
        assert purl_string("deb", "debian", "curl", "7.88.1-10+deb12u5", chosen) == _reference(
            "deb", "debian", "curl", "7.88.1-10+deb12u5", chosen
        )
    odd = {"Arch": "x86_64", "_key": "v"}  # keys the fast path leaves to the reference
    assert purl_string("rpm", "redhat", "bash", "5.1", odd) == _reference(
        "rpm", "redhat", "bash", "5.1", odd
    )


def test_a_missing_name_is_refused_as_by_the_reference() -> None:
    with pytest.raises(ValueError, match="name is a required argument"):
        purl_string("npm", None, "", "1.0")


_ALPHABET = "aZ09._-~+:@!%/ é$&*()"
_TEXT = st.text(alphabet=_ALPHABET, min_size=1, max_size=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    purl_type=st.sampled_from(TYPES),
    namespace=st.none() | _TEXT,
    name=_TEXT,
    version=st.none() | _TEXT,
    qualifier=st.none() | _TEXT,
)
def test_random_fields_match_the_reference(
    purl_type: str, namespace: str | None, name: str, version: str | None, qualifier: str | None
) -> None:
    qualifiers = {"arch": qualifier} if qualifier else None
    try:
        expected = _reference(purl_type, namespace, name, version, qualifiers)
    except (ValueError, TypeError) as err:  # a name that normalises to nothing
        with pytest.raises(type(err)):
            purl_string(purl_type, namespace, name, version, qualifiers)
        return
    assert purl_string(purl_type, namespace, name, version, qualifiers) == expected


def _fixture_records() -> list[dict[str, str]]:
    expected = CORPUS_ROOT / "osv-lockfile-fixtures" / "expected.json"
    if not expected.exists():
        return []
    return [
        r
        for r in json.loads(expected.read_text())
        if r["parser"] in PARSERS
        and r.get("fixture_exists", True)
        and not r.get("expected_error")
        and not r.get("expected_error_containing")
    ]


def test_every_corpus_package_gets_the_reference_purl() -> None:
    records = _fixture_records()
    if not records:
        corpus_path("osv-lockfile-fixtures", "expected.json")  # skips with the reason
    parsed = [
        PARSERS[r["parser"]](
            corpus_path("osv-lockfile-fixtures", r["fixture"]).read_text("utf-8"), r["fixture"]
        )
        for r in records
    ]
    for lockfile in REAL_LOCKFILES:  # real projects' scoped and unscoped npm names
        parsed.append(parse_npm_lock(corpus_path(*lockfile).read_text("utf-8"), "lock.json"))
    checked = 0
    for packages in parsed:
        for package in packages:
            # the reference, fed the same namespace split as build_purl
            purl_type = purl_type_for(package.ecosystem)
            namespace, short = None, package.name
            if purl_type == "maven" and ":" in package.name:
                namespace, short = package.name.split(":", 1)
            elif purl_type in {"npm", "golang", "composer", "swift"} and "/" in package.name:
                namespace, short = package.name.rsplit("/", 1)
            expected = _reference(purl_type, namespace, short, package.version or None)
            assert package.purl == expected, package
            assert build_purl(package.ecosystem, package.name, package.version) == expected
            checked += 1
    assert checked > 1000  # the fixtures and lockfiles hold over a thousand packages
