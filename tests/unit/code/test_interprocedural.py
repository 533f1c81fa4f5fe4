"""One level across functions: request data passed to a function of the same module."""

from __future__ import annotations

from secloop.core.severity import Severity
from tests.unit.code.support import rule_lines, scan_text

HELPER = """
import subprocess
from flask import Flask, request

app = Flask(__name__)

def archive(label, level=1):
    subprocess.run("tar czf " + label, shell=True)
"""


def test_flow_goes_through_the_call_site_and_the_parameter() -> None:
    findings = scan_text(
        HELPER
        + """
@app.route("/backup")
def backup():
    name = request.args.get("name")
    archive(name)
"""
    )
    (finding,) = findings
    assert finding.rule_id == "PY-CMDI-001"
    assert finding.location.start_line == 7
    assert finding.severity is Severity.CRITICAL
    assert (
        "request.args (line 11) -> name (line 11) -> archive(label=...) (line 12) -> "
        "parameter label (line 6) -> subprocess.run (line 7)"
    ) in finding.message


def test_untainted_calls_leave_the_plain_finding() -> None:
    findings = scan_text(HELPER + '\ndef job():\n    archive("nightly")\n')
    (finding,) = findings
    assert finding.severity is Severity.HIGH
    assert "Flow:" not in finding.message


def test_keyword_arguments_bind_by_name_and_other_parameters_stay_clean() -> None:
    source = HELPER + (
        "\n@app.route('/a')\ndef a():\n    archive('fixed', level=request.args['n'])\n"
        "\n@app.route('/b')\ndef b():\n    archive(level=1, label=request.form['x'])\n"
    )
    (finding,) = scan_text(source)
    assert "archive(label=...)" in finding.message
    assert "request.form" in finding.message


def test_many_tainted_call_sites_give_one_finding_with_the_first_flow() -> None:
    calls = "".join(f"    archive(request.args['p{i}'])\n" for i in range(50))
    (finding,) = scan_text(HELPER + "\n@app.route('/x')\ndef x():\n" + calls)
    assert "request.args (line 11)" in finding.message


def test_only_one_level_is_followed() -> None:
    source = """
    import os
    from flask import request

    def inner(value):
        os.system("ping " + value)

    def outer(value):
        inner(value)

    def view():
        outer(request.args["host"])
    """
    (finding,) = scan_text(source)
    assert finding.rule_id == "PY-CMDI-002"
    assert "Flow:" not in finding.message  # inner is two calls away from the request


def test_sinks_needing_request_data_are_found_through_the_call() -> None:
    source = """
    import requests
    from flask import request

    def fetch(url):
        return requests.get(url, timeout=5)

    def view():
        return fetch(request.args["u"])
    """
    assert rule_lines(scan_text(source), "PY-SSRF-001") == [5]


def test_imported_redefined_methods_and_starred_calls_are_not_followed() -> None:
    source = """
    import os
    from flask import request
    from tools import imported

    def twice(value):
        os.system("a " + value)

    def twice(value):
        os.system("b " + value)

    def imported(value):
        os.system("c " + value)

    class Service:
        def run(self, value):
            os.system("d " + value)

    def view(service):
        data = request.args["x"]
        twice(data)
        imported(data)
        service.run(data)
        twice(*[data])
    """
    findings = scan_text(source)
    assert all("Flow:" not in f.message for f in findings)
