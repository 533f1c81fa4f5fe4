"""The Compose scanner: file selection, syntax variants, and the shop example's known problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.finding import Finding
from secloop.core.severity import Severity
from secloop.scan.interface import FileEntry, PartialFailure, ScanError
from secloop.scan.misconfig import ComposeScanner
from tests.unit.misconfig.helpers import content

ROOT = Path(__file__).resolve().parents[3]


def _scan(text: str, path: str = "docker-compose.yml") -> list[Finding]:
    return [f for f in ComposeScanner().scan_file(content(path, text)) if isinstance(f, Finding)]


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("docker-compose.yml", True),
        ("docker-compose.prod.yaml", True),
        ("compose.yaml", True),
        ("compose.override.yml", True),
        ("Docker-Compose.YML", True),
        ("compose.json", False),
        ("my-compose.yml", False),
        ("values.yaml", False),
    ],
)
def test_applies_to_compose_file_names(name: str, wanted: bool) -> None:
    assert ComposeScanner().applies_to(FileEntry(path=f"deploy/{name}", size=1)) is wanted


def test_shop_example_problems_are_found_at_their_lines() -> None:
    """examples/shop/PROBLEMS.md, Compose section: P1-P6, and the literal passwords S8/S9."""
    text = (ROOT / "examples/shop/docker-compose.yml").read_text(encoding="utf-8")
    found = {(f.rule_id, f.location.start_line) for f in _scan(text)}
    expected = {
        ("SL-COMPOSE-016", 5),  # P1 image shop/api:latest
        ("SL-COMPOSE-001", 12),  # P2 privileged
        ("SL-COMPOSE-015", 26),  # P3 5432 on all interfaces
        ("SL-COMPOSE-004", 32),  # P4 network_mode: host
        ("SL-COMPOSE-005", 33),  # P5 pid: host
        ("SL-COMPOSE-014", 35),  # P6 / mounted
        ("SL-COMPOSE-017", 10),  # S8 password in DATABASE_URL
        ("SL-COMPOSE-017", 23),  # S9 POSTGRES_PASSWORD
    }
    assert expected <= found, expected - found


LONG_SYNTAX = """services:
  db:
    image: postgres:16
    ports:
      - target: 5432
        published: 5432
      - target: 6379
        published: "6379"
        host_ip: 127.0.0.1
    volumes:
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
      - type: volume
        source: data
        target: /data
    environment:
      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}
      - API_TOKEN=tok-1234567890
    cap_add: [CAP_SYS_ADMIN, NET_BIND_SERVICE]
"""


def test_long_syntax_and_list_environment() -> None:
    findings = _scan(LONG_SYNTAX)
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["SL-COMPOSE-015"].location.start_line == 5
    assert [f.location.start_line for f in findings if f.rule_id == "SL-COMPOSE-015"] == [5]
    assert by_rule["SL-COMPOSE-013"].location.start_line == 11
    secrets = [f for f in findings if f.rule_id == "SL-COMPOSE-017"]
    assert [f.location.start_line for f in secrets] == [19]
    assert by_rule["SL-COMPOSE-002"].severity is Severity.CRITICAL
    assert by_rule["SL-COMPOSE-015"].anchor == "service:db/ports.0"


def test_non_compose_yaml_yields_nothing_and_bad_yaml_is_reported() -> None:
    assert _scan("volumes:\n  data: {}\n") == []
    with pytest.raises(ScanError):
        list(ComposeScanner().scan_file(content("compose.yml", "services: [\n")))
    outcomes = list(ComposeScanner().scan_file(content("compose.yml", "a: 1\n---\nb: [\n")))
    assert any(isinstance(o, PartialFailure) for o in outcomes)


def test_random_host_port_is_still_all_interfaces() -> None:
    findings = _scan("services:\n  r:\n    image: redis:7\n    ports: ['6379']\n")
    assert any(f.rule_id == "SL-COMPOSE-015" for f in findings)
