"""The HTML report: self-contained, escaped, deterministic."""

from __future__ import annotations

import base64
import hashlib
import re

from secloop.core.result import Failed, ScanResult, Skipped, SkipReason
from secloop.core.severity import Severity
from secloop.output.html import HtmlFormatter, is_web_link, kind_bars, severity_bars
from secloop.output.interface import ReportContext
from tests.unit.output.conftest import make_finding, make_result

_ATTACK = "<script>alert(1)</script>"


def _render(result: ScanResult) -> str:
    return HtmlFormatter().render(result, ReportContext(fail_on=Severity.HIGH))


def test_user_text_is_escaped_everywhere() -> None:
    finding = make_finding(
        title=_ATTACK,
        message=_ATTACK,
        evidence='"><img src=x onerror=alert(1)>',
        rule_id="R</script><script>alert(2)</script>",
        references=("javascript:alert(3)", "https://example.org/a?b=1&c=2"),
    )
    result = make_result(
        finding,
        coverage=(
            Failed(path=_ATTACK, reason=_ATTACK),
            Skipped(path=_ATTACK, reason=SkipReason.BINARY),
        ),
        warnings=(_ATTACK,),
    )
    html = _render(result)
    assert _ATTACK not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert html.count("<script") == 1  # only our own
    assert 'href="javascript:' not in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html


def test_csp_pins_the_inline_style_and_script(sample: ScanResult) -> None:
    html = _render(sample)
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert script is not None
    assert style is not None
    for block in (script, style):
        digest = base64.b64encode(hashlib.sha256(block.group(1).encode()).digest()).decode()
        assert f"sha256-{digest}" in html
    assert "default-src &#39;none&#39;" in html


def test_self_contained(sample: ScanResult) -> None:
    html = _render(sample)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://', ""))
    assert "<link" not in html
    assert "@import" not in html


def test_contents(sample: ScanResult) -> None:
    html = _render(sample)
    assert "examples/webapp" in html
    assert "2025-01-15T09:30:12+00:00" in html
    assert html.count('<tr class="finding') == len(sample.findings)
    assert 'data-status="suppressed"' in html
    assert "pinned by digest in the release pipeline" in html
    assert "YAML error at line 4: bad indentation" in html
    assert "HIGH and above: failed, 4 finding(s)" in html
    assert "checkov <code>CKV_K8S_16</code>" in html


def test_empty_result_says_no_findings(empty: ScanResult) -> None:
    html = _render(empty)
    assert "No findings." in html
    assert "passed" in html


def test_chart_geometry(sample: ScanResult) -> None:
    bars = severity_bars(sample)
    assert [bar.label for bar in bars] == ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
    assert max(bar.height for bar in bars) == 120
    assert all(bar.y + bar.height == 140 for bar in bars)
    kinds = {bar.label: bar for bar in kind_bars(sample)}
    assert kinds["misconfiguration"].width == 220
    assert kinds["runtime"].width == 0


def test_only_web_references_are_links() -> None:
    assert is_web_link("HTTPS://example.org")
    assert not is_web_link("javascript:alert(1)")
    assert not is_web_link("data:text/html,x")
