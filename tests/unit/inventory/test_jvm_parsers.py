"""Maven (pom.xml, dependency trees) and Gradle (lock files, verification metadata)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory.gradle import parse_gradle_lock, parse_gradle_verification_metadata
from secloop.scan.inventory.maven import parse_maven_dependency_tree, parse_pom, unpinned_in_pom

FIXTURES = Path(__file__).parents[2] / "fixtures" / "inventory"


def _by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_pom_interpolates_properties_applies_management_and_marks_scopes() -> None:
    text = (FIXTURES / "pom.xml").read_text()
    packages = _by_name(parse_pom(text, "svc/pom.xml"))
    assert {name: p.version for name, p in packages.items()} == {
        "com.fasterxml.jackson.core:jackson-databind": "2.15.2",  # property of a property
        "com.example:orders-api": "1.4.0",  # ${project.groupId} and ${project.version}
        "com.google.guava:guava": "32.1.2-jre",  # managed, hard requirement [v]
        "junit:junit": "4.13.2",
        "org.yaml:snakeyaml": "1.33",  # managed only: pins a transitive dependency
    }
    assert packages["junit:junit"].dev
    assert packages["com.google.guava:guava"].dev
    assert not packages["com.example:orders-api"].dev
    assert packages["com.example:orders-api"].direct is True
    assert packages["org.yaml:snakeyaml"].direct is None
    databind = packages["com.fasterxml.jackson.core:jackson-databind"]
    assert databind.purl == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"
    assert databind.locations[0].path == "svc/pom.xml"
    assert databind.locations[0].line == _line_of(text, "<artifactId>jackson-databind") - 2


def test_pom_lists_what_it_cannot_pin_instead_of_guessing() -> None:
    text = (FIXTURES / "pom.xml").read_text()
    unpinned = {u.name: u for u in unpinned_in_pom(text, "pom.xml")}
    assert set(unpinned) == {
        "org.springframework.boot:spring-boot-starter-web",
        "org.apache.commons:commons-lang3",
        "io.micrometer:micrometer-core",
    }
    commons = unpinned["org.apache.commons:commons-lang3"]
    assert (commons.requirement, commons.reason, commons.undetermined) == (
        "[3.12,4.0)",
        "a version range",
        False,
    )
    web = unpinned["org.springframework.boot:spring-boot-starter-web"]
    assert web.undetermined
    assert "parent POM" in web.reason
    micrometer = unpinned["io.micrometer:micrometer-core"]
    assert micrometer.requirement == "${micrometer.version}"
    assert micrometer.undetermined


POM = """<project>
  <groupId>g</groupId><artifactId>a</artifactId>
  <parent><groupId>org.parent</groupId><version>7.0</version></parent>
  <properties><loop>${loop}x</loop><who>${undefined.group}</who></properties>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""


def _pom(dependencies: str) -> str:
    return POM.replace("{dependencies}", dependencies)


def _dependency(group: str, artifact: str, version: str) -> str:
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version></dependency>"
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3", "1.2.3"),  # a soft requirement: what Maven uses
        ("[1.2.3]", "1.2.3"),
        ("${project.version}", "7.0"),  # no own version: the parent's
        ("${project.parent.version}", "7.0"),
        ("[1.0,2.0)", None),
        ("(,1.0]", None),
        ("[1.0,)", None),
        ("[1.0],[1.2]", None),
        ("${loop}", None),  # a property that expands forever
    ],
)
def test_pom_versions(version: str, expected: str | None) -> None:
    text = _pom(_dependency("org.x", "lib", version))
    packages = parse_pom(text, "pom.xml")
    assert [p.version for p in packages] == ([expected] if expected else [])
    assert len(unpinned_in_pom(text, "pom.xml")) == (0 if expected else 1)


def test_pom_with_a_name_from_an_undefined_property_is_not_a_package() -> None:
    text = _pom(_dependency("${who}", "lib", "1.0"))
    assert parse_pom(text, "pom.xml") == ()
    (unpinned,) = unpinned_in_pom(text, "pom.xml")
    assert unpinned.name == "${undefined.group}"
    assert unpinned.undetermined


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<project><dependencies>", "not valid XML (XML syntax error: no element found"),
        ("<settings/>", "not a Maven POM (root element <settings>, expected <project>)"),
        (
            _pom("<dependency><groupId>g</groupId></dependency>"),
            "the <dependency> at line 6 has no groupId or artifactId",
        ),
        (
            '<!DOCTYPE p [<!ENTITY x "y">]><project>&x;</project>',
            "refused XML construct",
        ),
        (
            '<!DOCTYPE p SYSTEM "file:///etc/passwd"><project/>',
            "refused XML construct",
        ),
    ],
)
def test_a_bad_pom_is_an_error_naming_the_file(text: str, reason: str) -> None:
    with pytest.raises(ScanError) as raised:
        parse_pom(text, "app/pom.xml")
    assert str(raised.value).startswith("app/pom.xml: could not extract from file: ")
    assert reason in str(raised.value)


def test_dependency_tree_marks_direct_by_depth_and_skips_omitted_entries() -> None:
    text = (FIXTURES / "maven-dependency-tree.txt").read_text()
    packages = _by_name(parse_maven_dependency_tree(text, "maven-dependency-tree.txt"))
    assert {name: (p.version, p.direct, p.dev) for name, p in packages.items()} == {
        "org.springframework.boot:spring-boot-starter-web": ("3.2.1", True, False),
        "org.springframework.boot:spring-boot-starter-json": ("3.2.1", False, False),
        "com.fasterxml.jackson.datatype:jackson-datatype-jdk8": ("2.15.3", False, False),
        "org.springframework:spring-webmvc": ("6.1.2", False, False),
        "com.fasterxml.jackson.core:jackson-databind": ("2.15.2", True, False),
        "io.netty:netty-transport-native-epoll": ("4.1.101.Final", True, False),  # classifier
        "jakarta.servlet:jakarta.servlet-api": ("6.0.0", True, True),  # provided
        "junit:junit": ("4.13.2", True, True),
        "org.hamcrest:hamcrest-core": ("1.3", False, True),
    }
    assert packages["junit:junit"].locations[0].line == _line_of(text, "junit:junit")


def test_dependency_tree_written_with_output_file_has_no_log_prefix() -> None:
    text = (
        "com.example:app:war:2.0\n"
        "+- org.apache.logging.log4j:log4j-core:jar:2.14.1:compile\n"
        "|  \\- org.apache.logging.log4j:log4j-api:jar:2.14.1:compile\n"
        "\\- com.example:lib:jar:2.0:compile (optional)\n"
        "   \\- com.example:unscoped:jar:3.0\n"
    )
    packages = parse_maven_dependency_tree(text, "dependency-tree.txt")
    assert [(p.name, p.direct, p.locations[0].line) for p in packages] == [
        ("org.apache.logging.log4j:log4j-core", True, 2),
        ("org.apache.logging.log4j:log4j-api", False, 3),
        ("com.example:lib", True, 4),
        ("com.example:unscoped", False, 5),
    ]


def test_a_project_without_dependencies_is_an_empty_tree() -> None:
    assert parse_maven_dependency_tree("[INFO] com.example:leaf:jar:1.0\n", "d.txt") == ()


def test_a_file_that_is_no_dependency_tree_is_an_error_naming_it() -> None:
    with pytest.raises(ScanError, match=r"^notes/dependency-tree.txt: .*no Maven dependency"):
        parse_maven_dependency_tree("our dependencies: see wiki\n", "notes/dependency-tree.txt")


def test_gradle_lock_marks_test_only_modules_dev() -> None:
    text = (
        "# This is a Gradle generated file for dependency locking.\n"
        "com.google.guava:guava:32.1.2-jre=compileClasspath,runtimeClasspath\n"
        "junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\n"
        "org.mockito:mockito-core:5.8.0=integrationTestRuntimeClasspath\n"
        "empty=annotationProcessor\n"
    )
    packages = parse_gradle_lock(text, "buildscript-gradle.lockfile")
    assert [(p.name, p.version, p.dev, p.locations[0].line) for p in packages] == [
        ("com.google.guava:guava", "32.1.2-jre", False, 2),
        ("junit:junit", "4.13.2", True, 3),
        ("org.mockito:mockito-core", "5.8.0", True, 4),
    ]
    assert packages[0].purl == "pkg:maven/com.google.guava/guava@32.1.2-jre"


def test_verification_metadata_lists_each_component_version() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<verification-metadata xmlns="https://schema.gradle.org/dependency-verification">\n'
        "  <components>\n"
        '    <component group="a.b" name="c" version="1.0"/>\n'
        '    <component group="a.b" name="c" version="1.1"/>\n'
        '    <component group="a.b" name="no-version"/>\n'
        "  </components>\n"
        "</verification-metadata>\n"
    )
    packages = parse_gradle_verification_metadata(text, "gradle/verification-metadata.xml")
    assert [(p.name, p.version, p.locations[0].line) for p in packages] == [
        ("a.b:c", "1.0", 4),
        ("a.b:c", "1.1", 5),
    ]
    assert parse_gradle_verification_metadata("<verification-metadata/>", "v.xml") == ()
