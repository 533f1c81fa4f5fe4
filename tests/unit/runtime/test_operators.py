"""What each operator and transformer means when a rule runs on an event."""

from __future__ import annotations

import pytest

from secloop.runtime.rules import matchers
from tests.unit.runtime.helpers import matches

EVENT = {
    "evt.type": "open",
    "proc.name": "Bash",
    "proc.pname": "bash",
    "proc.cmdline": "bash -c 'cat /etc/shadow'",
    "proc.exepath": "/usr/bin/bash",
    "proc.pid": 42,
    "proc.aname[2]": "sshd",
    "proc.aname": ["sudo", "sshd", "systemd"],
    "fd.name": "/etc/shadow",
    "fd.sip": "10.1.2.3",
    "user.uid": "0",
    "proc.env": "SECRET=c2VjcmV0",
    "container.privileged": "true",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("proc.name = Bash", True),
        ("proc.name == Bash", True),
        ("proc.name = bash", False),
        ("proc.name != bash", True),
        ("proc.pid < 43", True),
        ("proc.pid <= 42", True),
        ("proc.pid > 42", False),
        ("proc.pid >= 42", True),
        ("user.uid = 0", True),
        ("proc.cmdline contains /etc/shadow", True),
        ("proc.cmdline icontains BASH", True),
        ("proc.cmdline bcontains 2f657463", True),
        ("proc.cmdline bstartswith 62617368", True),
        ("proc.cmdline bstartswith 00", False),
        ("fd.name startswith /etc", True),
        ("fd.name endswith shadow", True),
        ("fd.name glob '/etc/*'", True),
        ("fd.name glob '/e?c/[rs]hadow'", True),
        ("fd.name glob '/ETC/*'", False),
        ("fd.name iglob '/ETC/*'", True),
        ("fd.name regex '/etc/s[a-z]+'", True),
        ("fd.name regex 'etc'", False),
        ("fd.name in (/etc/passwd, /etc/shadow)", True),
        ("fd.name intersects (/etc/shadow)", True),
        ("fd.name pmatch (/etc)", True),
        ("fd.name pmatch (/et)", False),
        ("fd.name pmatch (/e*)", True),
        ("fd.name exists", True),
        ("fd.directory exists", False),
        ("not fd.directory exists", True),
        ("fd.directory != /tmp", False),
        ("fd.sip = 10.1.0.0/16", True),
        ("fd.sip in (192.168.0.0/16, 10.0.0.0/8)", True),
        ("container.privileged = true", True),
    ],
)
def test_operator(condition: str, expected: bool) -> None:
    assert matches(f"evt.type = open and {condition}", EVENT) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("tolower(proc.name) = bash", True),
        ("toupper(proc.pname) = BASH", True),
        ("basename(proc.exepath) = bash", True),
        ("len(proc.name) = 4", True),
        ("len(proc.aname) = 3", True),
        ("b64(proc.env) = x", False),
        ("tolower(proc.name) = val(proc.pname)", True),
        ("proc.name = val(proc.pname)", False),
        ("tolower(proc.name) = tolower(proc.pname)", True),
        ("proc.name = val(proc.sname)", False),
    ],
)
def test_transformer(condition: str, expected: bool) -> None:
    assert matches(f"evt.type = open and {condition}", EVENT) is expected


def test_b64_decodes() -> None:
    assert matches(
        "evt.type = open and b64(proc.cmdline) = secret",
        {"evt.type": "open", "proc.cmdline": "c2VjcmV0"},
    )


def test_ancestor_field_matches_any_ancestor() -> None:
    assert matches("evt.type = open and proc.aname = sshd", EVENT)
    assert matches("evt.type = open and proc.aname in (systemd)", EVENT)
    assert matches("evt.type = open and proc.aname[2] = sshd", EVENT)
    assert not matches("evt.type = open and proc.aname[2] = sudo", EVENT)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("ka.user.groups in (a, b, c)", True),
        ("ka.user.groups in (a)", False),
        ("ka.user.groups intersects (b, z)", True),
        ("ka.user.groups intersects (z)", False),
        ("ka.sourceips[1] = b", True),
        ("ka.sourceips[2] exists", False),
    ],
)
def test_list_fields_use_set_semantics(condition: str, expected: bool) -> None:
    event = {"kind": "Event", "user": {"groups": ["a", "b"]}, "sourceIPs": ["a", "b"]}
    assert matches(condition, event, source="k8s_audit") is expected


def test_regex_uses_re2_when_installed() -> None:
    assert matchers.REGEX_ENGINE == "re2"


def test_precedence_when_evaluating() -> None:
    event = {"evt.type": "open", "proc.name": "x"}
    assert matches("evt.type = open and proc.name = y or proc.name = x", event)
    assert not matches("evt.type = open and (proc.name = y or proc.name = z)", event)
    assert matches("evt.type = open and not proc.name = y and proc.name = x", event)
