"""Source hosting and CI: GitHub, GitLab, Bitbucket and Atlassian.

GitHub and GitLab publish their token prefixes precisely so that scanners can find
them without context; each prefix gets its own rule because each token kind is
revoked in a different place.
"""

from __future__ import annotations

from secloop.core.severity import Severity
from secloop.scan.secrets.filters import has_character_classes
from secloop.scan.secrets.model import ASSIGNMENT_WINDOW, SecretRule, assignment, token

__all__ = ["RULES"]

_C, _H, _M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM
_GITHUB_REF = (
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/"
    "about-authentication-to-github#githubs-token-formats",
)
_GITLAB_REF = ("https://docs.gitlab.com/ee/security/tokens/#token-prefixes",)
_GITLAB_FIX = "Revoke the token in GitLab (user, project or group settings) and create a new one."
_GITHUB_FIX = "Revoke the token in GitHub settings (or the app's settings) and create a new one."


def _github(
    rule_id: str, title: str, prefix: str, gitleaks: str, severity: Severity = _C
) -> SecretRule:
    return SecretRule(
        id=rule_id,
        title=title,
        severity=severity,
        keywords=(prefix,),
        pattern=token(rf"{prefix}[A-Za-z0-9]{{36}}"),
        entropy=3.0,
        peers={"gitleaks": gitleaks, "detect-secrets": "GitHubTokenDetector"},
        references=_GITHUB_REF,
        remediation=_GITHUB_FIX,
        tags=("github",),
    )


def _gitlab(
    rule_id: str,
    title: str,
    body: str,
    keyword: str,
    gitleaks: str | None,
    *,
    specificity: int = 0,
) -> SecretRule:
    return SecretRule(
        id=rule_id,
        title=title,
        severity=_H,
        keywords=(keyword,),
        pattern=token(body, fence=r"\w\-"),
        entropy=3.0,
        specificity=specificity,
        peers={"gitleaks": gitleaks} if gitleaks else {},
        references=_GITLAB_REF,
        remediation=_GITLAB_FIX,
        tags=("gitlab",),
    )


def _has_digit(value: str) -> bool:
    """Random tokens of 24 characters nearly always hold a digit; camelCase words do not."""
    return any(c.isdigit() for c in value) and has_character_classes(value, minimum=2)


def _mixed_body(value: str) -> bool:
    """A registration token body that is only digits or only letters is a placeholder."""
    return has_character_classes(value[9:], minimum=2)


_GITHUB = (
    _github("SECRET-GITHUB-PAT", "GitHub personal access token (classic)", "ghp_", "github-pat"),
    _github("SECRET-GITHUB-OAUTH-TOKEN", "GitHub OAuth access token", "gho_", "github-oauth"),
    _github(
        "SECRET-GITHUB-USER-TO-SERVER-TOKEN",
        "GitHub App user-to-server token",
        "ghu_",
        "github-app-token",
    ),
    _github(
        "SECRET-GITHUB-SERVER-TO-SERVER-TOKEN",
        "GitHub App installation (server-to-server) token",
        "ghs_",
        "github-app-token",
        _H,
    ),
    _github(
        "SECRET-GITHUB-REFRESH-TOKEN", "GitHub App refresh token", "ghr_", "github-refresh-token"
    ),
    SecretRule(
        id="SECRET-GITHUB-FINE-GRAINED-PAT",
        title="GitHub fine-grained personal access token",
        severity=_C,
        keywords=("github_pat_",),
        pattern=token(r"github_pat_[A-Za-z0-9_]{82}"),
        entropy=3.0,
        peers={"gitleaks": "github-fine-grained-pat", "detect-secrets": "GitHubTokenDetector"},
        references=_GITHUB_REF,
        remediation=_GITHUB_FIX,
        tags=("github",),
    ),
)

_GITLAB = (
    _gitlab(
        "SECRET-GITLAB-PAT",
        "GitLab personal, project or group access token",
        r"glpat-[\w\-]{20}",
        "glpat-",
        "gitlab-pat",
    ),
    _gitlab(
        "SECRET-GITLAB-PAT-ROUTABLE",
        "GitLab access token (routable format)",
        r"glpat-[\w\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}",
        "glpat-",
        "gitlab-pat-routable",
        specificity=1,
    ),
    _gitlab(
        "SECRET-GITLAB-DEPLOY-TOKEN",
        "GitLab deploy token",
        r"gldt-[\w\-]{20}",
        "gldt-",
        "gitlab-deploy-token",
    ),
    _gitlab(
        "SECRET-GITLAB-RUNNER-TOKEN",
        "GitLab runner authentication token",
        r"glrt-[\w\-]{20}",
        "glrt-",
        "gitlab-runner-authentication-token",
    ),
    _gitlab(
        "SECRET-GITLAB-RUNNER-TOKEN-ROUTABLE",
        "GitLab runner authentication token (routable format)",
        r"glrt-t\d_[\w\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}",
        "glrt-",
        "gitlab-runner-authentication-token-routable",
        specificity=1,
    ),
    _gitlab(
        "SECRET-GITLAB-PIPELINE-TRIGGER-TOKEN",
        "GitLab pipeline trigger token",
        r"glptt-[0-9a-f]{40}",
        "glptt-",
        "gitlab-ptt",
    ),
    _gitlab(
        "SECRET-GITLAB-CI-JOB-TOKEN",
        "GitLab CI/CD job token",
        # the partition prefix ("64_") was added in GitLab 16.x; older tokens lack it
        r"glcbt-(?:[0-9a-zA-Z]{1,5}_)?[\w\-]{20}",
        "glcbt-",
        "gitlab-cicd-job-token",
    ),
    _gitlab(
        "SECRET-GITLAB-FEED-TOKEN",
        "GitLab feed token",
        r"glft-[\w\-]{20}",
        "glft-",
        "gitlab-feed-token",
    ),
    _gitlab(
        "SECRET-GITLAB-INCOMING-MAIL-TOKEN",
        "GitLab incoming mail token",
        r"glimt-[\w\-]{25}",
        "glimt-",
        "gitlab-incoming-mail-token",
    ),
    _gitlab(
        "SECRET-GITLAB-AGENT-TOKEN",
        "GitLab agent for Kubernetes token",
        # 50 characters at least: newer agent tokens carry a longer, routable body
        r"glagent-[\w\-]{50,300}",
        "glagent-",
        "gitlab-kubernetes-agent-token",
    ),
    _gitlab(
        "SECRET-GITLAB-OAUTH-APP-SECRET",
        "GitLab OAuth application secret",
        r"gloas-[\w\-]{64}",
        "gloas-",
        "gitlab-oauth-app-secret",
    ),
    _gitlab(
        "SECRET-GITLAB-FEATURE-FLAG-TOKEN",
        "GitLab feature flags client token",
        r"glffct-[\w\-]{20}",
        "glffct-",
        "gitlab-feature-flag-client-token",
    ),
    _gitlab(
        "SECRET-GITLAB-SCIM-TOKEN",
        "GitLab SCIM token",
        r"glsoat-[\w\-]{20}",
        "glsoat-",
        "gitlab-scim-token",
    ),
    SecretRule(
        id="SECRET-GITLAB-RUNNER-REGISTRATION-TOKEN",
        title="GitLab runner registration token (deprecated format)",
        severity=_H,
        keywords=("gr1348941",),
        pattern=token(r"GR1348941[\w\-]{20}"),
        entropy=3.0,
        validator=_mixed_body,
        peers={"gitleaks": "gitlab-rrt"},
        references=_GITLAB_REF,
        remediation=_GITLAB_FIX,
        tags=("gitlab",),
    ),
)

_ATLASSIAN = (
    SecretRule(
        id="SECRET-BITBUCKET-APP-PASSWORD",
        title="Bitbucket app password",
        severity=_H,
        keywords=("atbb",),
        pattern=token(r"ATBB[A-Za-z0-9_=.\-]{28,64}"),
        entropy=3.5,
        references=("https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/",),
        tags=("bitbucket",),
    ),
    SecretRule(
        id="SECRET-BITBUCKET-CLIENT-SECRET",
        title="Bitbucket OAuth consumer secret",
        severity=_H,
        keywords=("bitbucket",),
        pattern=assignment(r"bitbucket", r"[a-zA-Z0-9=_\-]{64}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"gitleaks": "bitbucket-client-secret"},
        references=(
            "https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/",
        ),
        tags=("bitbucket",),
    ),
    SecretRule(
        id="SECRET-BITBUCKET-CLIENT-ID",
        title="Bitbucket OAuth consumer key",
        severity=_M,
        keywords=("bitbucket",),
        pattern=assignment(r"bitbucket", r"[a-zA-Z0-9]{32}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"gitleaks": "bitbucket-client-id"},
        references=(
            "https://support.atlassian.com/bitbucket-cloud/docs/use-oauth-on-bitbucket-cloud/",
        ),
        tags=("bitbucket",),
    ),
    SecretRule(
        id="SECRET-ATLASSIAN-API-TOKEN-LEGACY",
        title="Atlassian (Jira, Confluence) API token, legacy format",
        severity=_H,
        keywords=("atlassian", "jira", "confluence"),
        pattern=assignment(r"atlassian|jira|confluence", r"[A-Za-z0-9]{24}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        validator=_has_digit,
        peers={"gitleaks": "atlassian-api-token"},
        references=(
            "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/",
        ),
        tags=("atlassian",),
    ),
    SecretRule(
        id="SECRET-ATLASSIAN-API-TOKEN",
        title="Atlassian API token",
        severity=_H,
        keywords=("atatt3",),
        pattern=token(r"ATATT3[A-Za-z0-9_\-=]{150,250}"),
        entropy=4.0,
        peers={"gitleaks": "atlassian-api-token"},
        references=(
            "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/",
        ),
        tags=("atlassian",),
    ),
)

RULES: tuple[SecretRule, ...] = (*_GITHUB, *_GITLAB, *_ATLASSIAN)
