"""Taint: request data reaching sinks through assignments and string building, shown
step by step in the finding; and the places where the flow must stop."""

from __future__ import annotations

import textwrap

from secloop.core.severity import Severity
from tests.unit.code.support import rule_lines, scan_text


def test_flask_flow_is_recorded_with_names_and_lines() -> None:
    findings = scan_text(
        """
        import subprocess
        from flask import request

        def backup():
            name = request.args.get("name")
            target = "/backups/" + name
            cmd = "tar czf {} /data".format(target)
            subprocess.run(cmd, shell=True)
        """
    )
    (finding,) = findings
    assert finding.rule_id == "PY-CMDI-001"
    assert finding.severity is Severity.CRITICAL
    flow = "request.args (line 5) -> name (line 5) -> target (line 6) -> cmd (line 7)"
    assert flow in finding.message
    assert finding.evidence is not None
    assert "flow: " + flow in finding.evidence


def test_flow_through_percent_and_fstring() -> None:
    findings = scan_text(
        """
        from flask import request

        def find(cur):
            term = request.form["q"]
            like = "%%%s%%" % term
            cur.execute(f"SELECT * FROM t WHERE name LIKE '{like}'")
        """
    )
    (finding,) = findings
    assert "term (line 4) -> like (line 5)" in finding.message


def test_django_request_attributes_are_sources() -> None:
    findings = scan_text(
        """
        import os

        def view(request):
            host = request.GET.get("host")
            os.system("ping " + host)
        """
    )
    (finding,) = findings
    assert finding.severity is Severity.CRITICAL
    assert "request.GET (line 4)" in finding.message


def test_fastapi_route_parameters_are_sources_but_typed_ones_are_not() -> None:
    findings = scan_text(
        """
        import requests
        from fastapi import Depends, FastAPI

        app = FastAPI()

        @app.get("/proxy")
        def proxy(url: str, retries: int = 3, db=Depends(object)):
            requests.get(url, timeout=5)
            requests.get(retries, timeout=5)
            return requests.get(db, timeout=5)
        """
    )
    assert rule_lines(findings, "PY-SSRF-001") == [8]
    assert "parameter url (line 7)" in findings[0].message


def test_sanitizer_and_reassignment_stop_the_flow() -> None:
    findings = scan_text(
        """
        import os
        from flask import request

        def view():
            count = int(request.args["n"])
            os.system("seq %d" % count)
            host = request.args["host"]
            host = "localhost"
            os.system("ping " + host)
        """
    )
    assert [f.severity for f in findings if f.rule_id == "PY-CMDI-002"] == [Severity.HIGH]
    assert all(f.severity is not Severity.CRITICAL for f in findings)


def test_alias_imports_are_resolved() -> None:
    findings = scan_text(
        """
        import yaml as y
        from subprocess import run as r

        def load(text, cmd):
            r(cmd + " --now", shell=True)
            return y.load(text)
        """
    )
    assert {f.rule_id for f in findings} == {"PY-CMDI-001", "PY-DESER-003"}


def test_fingerprint_anchor_ignores_line_numbers() -> None:
    source = textwrap.dedent(
        """
        import pickle

        def load(blob):
            return pickle.loads(blob)
        """
    )
    first = scan_text(source)[0]
    moved = scan_text("# a comment\n\n" + source)[0]
    assert first.location.start_line != moved.location.start_line
    assert first.anchor == moved.anchor
    assert first.anchor == "PY-DESER-001|load|pickle.loads(blob)"
