"""Agreement with peers' test corpora, and robustness on real-world files (../shared/corpus).

Measured at the time of writing (printed with ``-s``):
- checkov-kubernetes, 33 records mapped to 31 secloop rules: 174/177 resources agree
  (98.3 %); the exact-id records 40/41. Disagreements, each with its reason:
  * CKV_K8S_157 ``test-should-fail-1`` grants ``bind`` on *rolebindings*; the bind verb
    only has meaning on roles/clusterroles, so secloop (SL-K8S-041) does not fire.
  * CKV_K8S_40 ``rootContainersHighUIDUNKNOWN.yaml`` has ``containers`` as a mapping
    (invalid; the API server rejects it): secloop does not guess, checkov fails it;
    and pod4 sets ``hostUsers: false`` (user namespace), which secloop accepts.
- hadolint-cases, 33 mapped DL rules without custom config: 554/558 cases (99.3 %).
  * DL3002-008: root is set only in a stage the final image does not build on; the
    final image runs as ``foo``, so secloop does not fire.
  * DL3009-023/024: ``docker-clean`` is removed in an earlier RUN; secloop only looks
    for that in the same RUN as the install (follow-up).
  * DL3025-005: ``HEALTHCHECK CMD foobar`` in shell form. SL-DF-037 is about PID 1 not
    forwarding signals, which does not apply to health checks, so it does not fire.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from secloop.core.errors import Error
from secloop.scan.misconfig import DockerfileScanner, KubernetesScanner
from tests.conftest import corpus_path
from tests.unit.misconfig.checkov_agreement import agreements
from tests.unit.misconfig.hadolint_agreement import hadolint_agreements
from tests.unit.misconfig.helpers import content

MIN_AGREEMENT = 0.95
#: Measured 99.3 % over 33 rules; issue #3 asks for 98 % overall.
MIN_HADOLINT_AGREEMENT = 0.98


def test_checkov_kubernetes_agreement() -> None:
    results = agreements(corpus_path("checkov-kubernetes"))
    agreed, total = sum(r.agreed for r in results), sum(r.total for r in results)
    print(f"checkov agreement: {agreed}/{total} = {agreed / total:.1%} over {len(results)} records")
    for result in results:
        for line in result.disagreements:
            print(f"  {result.check_id} ({result.rule_id}): {line}")
    assert len(results) >= 25
    assert agreed / total >= MIN_AGREEMENT
    for result in results:
        assert result.ratio >= 0.75, (result.check_id, result.disagreements)


def test_hadolint_agreement() -> None:
    results = hadolint_agreements(corpus_path("hadolint-cases"))
    agreed, total = sum(r.agreed for r in results), sum(r.total for r in results)
    print(f"hadolint agreement: {agreed}/{total} = {agreed / total:.1%} over {len(results)} rules")
    assert len(results) >= 30
    assert agreed / total >= MIN_HADOLINT_AGREEMENT
    for result in results:
        assert result.ratio >= 0.85, (result.hadolint, result.disagreements)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("folder", ["kubernetes-examples", "dockerfiles-official"])
def test_real_world_files_scan_without_internal_errors(folder: str) -> None:
    """Every file either scans or fails with a user-facing ScanError, never a crash."""
    scanners = (KubernetesScanner(), DockerfileScanner())
    scanned = 0
    for path in _files(corpus_path(folder)):
        item = content(str(path), "")
        wanted = [s for s in scanners if s.applies_to(item.entry)]
        if not wanted:
            continue
        file_content = content(str(path), path.read_text(encoding="utf-8", errors="replace"))
        for scanner in wanted:
            with contextlib.suppress(Error):  # a failed input the engine records: allowed
                list(scanner.scan_file(file_content))
            scanned += 1
    assert scanned > 100
