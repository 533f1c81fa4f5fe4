"""The licence policy's SPDX expression semantics, one declaration per case."""

from __future__ import annotations

import pytest

from secloop.core.errors import UsageError
from secloop.core.severity import Severity
from secloop.policy.licenses import LicensePolicy, LicenseStatus, evaluate_license

DENY = LicensePolicy(deny=("GPL-3.0-*", "agpl-*"))
ALLOW = LicensePolicy(allow=("MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"))

A, D, U = LicenseStatus.ALLOWED, LicenseStatus.DENIED, LicenseStatus.UNKNOWN


@pytest.mark.parametrize(
    ("policy", "declared", "status", "offending"),
    [
        (DENY, "MIT", A, ()),
        (DENY, "GPL-3.0-only", D, ("GPL-3.0-only",)),
        (DENY, "AGPL-3.0-or-later", D, ("AGPL-3.0-or-later",)),  # globs ignore case
        (DENY, "MIT OR GPL-3.0-only", A, ()),  # the user may choose MIT
        (DENY, "MIT AND GPL-3.0-or-later", D, ("GPL-3.0-or-later",)),  # needs both
        (DENY, "(MIT OR Apache-2.0) AND AGPL-3.0-only", D, ("AGPL-3.0-only",)),
        (DENY, "MIT OR Apache-2.0 AND GPL-3.0-only", A, ()),  # AND binds tighter
        (DENY, "GPL-3.0", D, ("GPL-3.0",)),  # deprecated id, matched as GPL-3.0-only
        (DENY, "GPL-3.0+", D, ("GPL-3.0+",)),  # ... and as GPL-3.0-or-later
        (DENY, "GPL-2.0-only WITH Classpath-exception-2.0", A, ()),
        (DENY, "Some Licence", U, ()),
        (DENY, None, U, ()),
        (LicensePolicy(deny=("WTFPL",)), "WTFPL OR MIT-ish", D, ("WTFPL OR MIT-ish",)),
        (LicensePolicy(deny=("Apache-2.0",)), "Apache-2.0+", D, ("Apache-2.0+",)),
        (LicensePolicy(deny=("GPL-2.0-only",)), "GPL-2.0-only WITH GCC-exception-2.0", D, None),
        (ALLOW, "MIT", A, ()),
        (ALLOW, "ISC", D, ("ISC",)),  # not on the allow list
        (ALLOW, "MIT OR ISC", A, ()),
        (ALLOW, "MIT AND ISC", D, ("ISC",)),
        (ALLOW, "GPL-2.0-only WITH Classpath-exception-2.0", A, ()),
        (ALLOW, "GPL-2.0-only", D, ("GPL-2.0-only",)),
        (ALLOW, "BSD License", U, ()),  # not SPDX: unknown, not silently allowed
    ],
)
def test_expression_semantics(
    policy: LicensePolicy,
    declared: str | None,
    status: LicenseStatus,
    offending: tuple[str, ...] | None,
) -> None:
    verdict = evaluate_license(policy, declared)
    assert verdict.status is status
    if offending is not None:
        assert verdict.offending == offending


@pytest.mark.parametrize("pattern", ["", "MIT; rm -rf", "GPL 3", "MIT OR GPL-3.0-only"])
def test_a_pattern_that_is_no_licence_id_is_a_usage_error(pattern: str) -> None:
    with pytest.raises(UsageError, match="not an SPDX licence id or glob"):
        LicensePolicy(deny=(pattern,))


def test_a_policy_is_active_only_when_it_can_report() -> None:
    assert not LicensePolicy().active
    assert LicensePolicy(deny=("MIT",)).active
    assert LicensePolicy(allow=("MIT",)).active
    assert LicensePolicy(report_unknown=True).active
    assert LicensePolicy().severity is Severity.HIGH


@pytest.mark.parametrize("malformed", ["MIT OR", "(MIT", "MIT)", "AND MIT", "MIT WITH"])
def test_the_evaluator_refuses_malformed_expressions(malformed: str) -> None:
    """Canonical declarations always parse; the reader still never guesses at one."""
    from secloop.policy.licenses import _Evaluator

    with pytest.raises(ValueError, match=r"ends early|unexpected|unbalanced"):
        _Evaluator(DENY, malformed).evaluate()
