"""Developer platforms: package registries (npm, PyPI, RubyGems, Clojars, Docker Hub,
JFrog Artifactory), HashiCorp, observability (Datadog, New Relic, Sentry, Grafana,
Dynatrace), delivery tools (Doppler, Pulumi, Prefect, ReadMe, Infracost, Buildkite,
CircleCI, SonarQube, Sourcegraph, Harness, Octopus Deploy, Snyk), identity and secret
managers (1Password, Okta) and AI APIs (OpenAI, Anthropic, Hugging Face, Perplexity,
Replicate, Groq, LangSmith, xAI).
"""

from __future__ import annotations

import base64
import binascii
import re

from secloop.core.severity import Severity
from secloop.scan.secrets.filters import mixes_case_and_digits
from secloop.scan.secrets.model import (
    ASSIGNMENT_WINDOW,
    SecretRule,
    assignment,
    prefixed_rule,
    token,
)

__all__ = ["RULES"]

_C, _H, _M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM


def _docker_auth(value: str) -> bool:
    """A Docker config ``auth`` value is base64 of ``user:password``; confirm that shape."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and len(password) >= 4 and decoded.isprintable())


_REGISTRIES = (
    prefixed_rule(
        "SECRET-NPM-ACCESS-TOKEN",
        "npm access token",
        r"npm_[A-Za-z0-9]{36}",
        ("npm_",),
        "https://docs.npmjs.com/about-access-tokens",
        peers={"gitleaks": "npm-access-token", "detect-secrets": "NpmDetector"},
        severity=_C,
    ),
    prefixed_rule(
        "SECRET-SECLOOP-API-TOKEN",
        "secloop findings server API token",
        r"slp_[A-Za-z0-9_\-]{43}",
        ("slp_",),
        "docs/server-access.md",
        severity=_C,
    ),
    SecretRule(
        id="SECRET-NPMRC-AUTH-TOKEN",
        title="Registry auth token in .npmrc",
        severity=_H,
        keywords=("_authtoken",),
        pattern=re.compile(
            r"//[^\s:]{1,200}/:_authToken\s{0,2}=\s{0,2}[\"']?(?P<secret>[A-Za-z0-9_\-]{20,200})"
        ),
        entropy=3.0,
        peers={"detect-secrets": "NpmDetector"},
        references=(
            "https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration",
        ),
        specificity=-1,
    ),
    prefixed_rule(
        "SECRET-PYPI-UPLOAD-TOKEN",
        "PyPI upload token",
        r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,1000}",
        ("pypi-age",),
        "https://pypi.org/help/#apitoken",
        peers={"gitleaks": "pypi-upload-token", "detect-secrets": "PypiTokenDetector"},
        severity=_C,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-RUBYGEMS-API-KEY",
        "RubyGems API key",
        r"rubygems_[a-f0-9]{48}",
        ("rubygems_",),
        "https://guides.rubygems.org/api-key-scopes/",
        peers={"gitleaks": "rubygems-api-token"},
        severity=_C,
    ),
    prefixed_rule(
        "SECRET-CLOJARS-TOKEN",
        "Clojars deploy token",
        r"CLOJARS_[A-Za-z0-9]{60}",
        ("clojars_",),
        "https://github.com/clojars/clojars-web/wiki/Deploy-Tokens",
        peers={"gitleaks": "clojars-api-token"},
    ),
    prefixed_rule(
        "SECRET-DOCKERHUB-PAT",
        "Docker Hub personal access token",
        r"dckr_pat_[\w\-]{27}",
        ("dckr_pat_",),
        "https://docs.docker.com/security/for-developers/access-tokens/",
        fence=r"\w\-",
    ),
    SecretRule(
        id="SECRET-DOCKER-CONFIG-AUTH",
        title="Registry credentials in a Docker config.json",
        severity=_H,
        keywords=('"auth"',),
        pattern=re.compile(r"\"auth\"\s{0,4}:\s{0,4}\"(?P<secret>[A-Za-z0-9+/]{8,1000}={0,2})\""),
        validator=_docker_auth,
        references=("https://docs.docker.com/reference/cli/docker/login/#credential-stores",),
        remediation="Run docker logout, rotate the password and use a credential helper.",
    ),
)

_HASHICORP = (
    prefixed_rule(
        "SECRET-TERRAFORM-CLOUD-TOKEN",
        "Terraform Cloud / Enterprise API token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}",
        (".atlasv1.",),
        "https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens",
        peers={"gitleaks": "hashicorp-tf-api-token"},
        severity=_C,
        fence=r"\w=\-",
    ),
    prefixed_rule(
        "SECRET-VAULT-SERVICE-TOKEN",
        "HashiCorp Vault service token",
        r"hvs\.[\w\-]{90,120}",
        ("hvs.",),
        "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",
        peers={"gitleaks": "vault-service-token"},
        severity=_C,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-VAULT-BATCH-TOKEN",
        "HashiCorp Vault batch token",
        r"hvb\.[\w\-]{138,300}",
        ("hvb.",),
        "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",
        peers={"gitleaks": "vault-batch-token"},
        fence=r"\w\-",
    ),
    SecretRule(
        id="SECRET-VAULT-LEGACY-SERVICE-TOKEN",
        title="HashiCorp Vault legacy service token",
        severity=_C,
        keywords=("vault",),
        # Before Vault 1.10 service tokens were "s." and 24 base62 characters: too short
        # and too plain to stand alone, so the key must name Vault.
        pattern=assignment(r"vault[\w.\-]{0,12}?(?:token|auth)", r"s\.[A-Za-z0-9]{24}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        validator=lambda value: mixes_case_and_digits(value[2:]),
        peers={"gitleaks": "vault-service-token"},
        references=("https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",),
    ),
)

_OBSERVABILITY = (
    SecretRule(
        id="SECRET-DATADOG-API-KEY",
        title="Datadog API key",
        severity=_H,
        keywords=("datadog", "dd_api_key", "dd-api-key"),
        pattern=assignment(r"datadog[\w.\-]{0,20}?api|dd[_\-]api[_\-]?key", r"[a-f0-9]{32}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.0,
        references=("https://docs.datadoghq.com/account_management/api-app-keys/",),
    ),
    SecretRule(
        id="SECRET-DATADOG-APP-KEY",
        title="Datadog application key",
        severity=_H,
        keywords=("datadog", "dd_app_key", "dd-application-key"),
        pattern=assignment(r"datadog|dd[_\-]app(?:lication)?[_\-]?key", r"[a-z0-9]{40}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"gitleaks": "datadog-access-token"},
        references=("https://docs.datadoghq.com/account_management/api-app-keys/",),
    ),
    prefixed_rule(
        "SECRET-NEW-RELIC-USER-KEY",
        "New Relic user API key",
        r"NRAK-[A-Z0-9a-z]{27}",
        ("nrak-",),
        "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/",
        peers={"gitleaks": "new-relic-user-api-key"},
    ),
    prefixed_rule(
        "SECRET-NEW-RELIC-INSERT-KEY",
        "New Relic insight insert key",
        r"NRII-[\w\-]{32}",
        ("nrii-",),
        "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/",
        peers={"gitleaks": "new-relic-insert-key"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-NEW-RELIC-BROWSER-KEY",
        "New Relic browser API token",
        r"NRJS-[a-f0-9]{19}",
        ("nrjs-",),
        "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/",
        peers={"gitleaks": "new-relic-browser-api-token"},
        severity=_M,
    ),
    prefixed_rule(
        "SECRET-SENTRY-ORG-TOKEN",
        "Sentry organization auth token",
        r"sntrys_eyJ[A-Za-z0-9+/=]{60,400}_[A-Za-z0-9+/]{43}",
        ("sntrys_",),
        "https://docs.sentry.io/account/auth-tokens/",
        peers={"gitleaks": "sentry-org-token"},
        fence=r"\w+/=",
    ),
    prefixed_rule(
        "SECRET-SENTRY-USER-TOKEN",
        "Sentry user auth token",
        r"sntryu_[a-f0-9]{64}",
        ("sntryu_",),
        "https://docs.sentry.io/account/auth-tokens/",
        peers={"gitleaks": "sentry-user-token"},
    ),
    prefixed_rule(
        "SECRET-GRAFANA-CLOUD-TOKEN",
        "Grafana Cloud access policy token",
        r"glc_[A-Za-z0-9+/]{32,400}={0,3}",
        ("glc_",),
        "https://grafana.com/docs/grafana-cloud/account-management/authentication-and-permissions/access-policies/",
        peers={"gitleaks": "grafana-cloud-api-token"},
        entropy=3.5,
        fence=r"\w+/=",
    ),
    prefixed_rule(
        "SECRET-GRAFANA-SERVICE-ACCOUNT-TOKEN",
        "Grafana service account token",
        r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        ("glsa_",),
        "https://grafana.com/docs/grafana/latest/administration/service-accounts/",
        peers={"gitleaks": "grafana-service-account-token"},
    ),
    prefixed_rule(
        "SECRET-DYNATRACE-TOKEN",
        "Dynatrace API token",
        r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}",
        ("dt0c01.",),
        "https://docs.dynatrace.com/docs/manage/access-control/access-tokens",
        peers={"gitleaks": "dynatrace-api-token"},
        fence=r"\w.",
    ),
)

_DELIVERY = (
    prefixed_rule(
        "SECRET-DOPPLER-TOKEN",
        "Doppler token",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        "https://docs.doppler.com/docs/token-formats",
        peers={"gitleaks": "doppler-api-token"},
        fence=r"\w.",
    ),
    prefixed_rule(
        "SECRET-PULUMI-TOKEN",
        "Pulumi access token",
        r"pul-[a-f0-9]{40}",
        ("pul-",),
        "https://www.pulumi.com/docs/pulumi-cloud/access-management/access-tokens/",
        peers={"gitleaks": "pulumi-api-token"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-PREFECT-TOKEN",
        "Prefect API key",
        r"pnu_[A-Za-z0-9]{36}",
        ("pnu_",),
        "https://docs.prefect.io/latest/cloud/users/api-keys/",
        peers={"gitleaks": "prefect-api-token"},
    ),
    prefixed_rule(
        "SECRET-README-TOKEN",
        "ReadMe API key",
        r"rdme_[a-z0-9]{70}",
        ("rdme_",),
        "https://docs.readme.com/main/reference/intro/authentication",
        peers={"gitleaks": "readme-api-token"},
    ),
    prefixed_rule(
        "SECRET-INFRACOST-TOKEN",
        "Infracost API key",
        r"ico-[A-Za-z0-9]{32}",
        ("ico-",),
        "https://www.infracost.io/docs/integrations/infracost_api/",
        peers={"gitleaks": "infracost-api-token"},
        fence=r"\w\-.",
    ),
)

_AI = (
    prefixed_rule(
        "SECRET-OPENAI-API-KEY",
        "OpenAI API key",
        r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\-]{20,200}T3BlbkFJ[A-Za-z0-9_\-]{20,200}",
        ("t3blbkfj",),
        "https://platform.openai.com/docs/api-reference/authentication",
        peers={"gitleaks": "openai-api-key", "detect-secrets": "OpenAIDetector"},
        severity=_C,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-ANTHROPIC-API-KEY",
        "Anthropic API key",
        r"sk-ant-api03-[\w\-]{93}AA",
        ("sk-ant-api03-",),
        "https://docs.anthropic.com/en/api/getting-started",
        peers={"gitleaks": "anthropic-api-key"},
        severity=_C,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-ANTHROPIC-ADMIN-KEY",
        "Anthropic Admin API key",
        r"sk-ant-admin01-[\w\-]{93}AA",
        ("sk-ant-admin01-",),
        "https://docs.anthropic.com/en/api/administration-api",
        peers={"gitleaks": "anthropic-admin-api-key"},
        severity=_C,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-HUGGINGFACE-TOKEN",
        "Hugging Face access token",
        r"hf_[A-Za-z]{34}",
        ("hf_",),
        "https://huggingface.co/docs/hub/security-tokens",
        peers={"gitleaks": "huggingface-access-token"},
        entropy=3.5,
    ),
    prefixed_rule(
        "SECRET-HUGGINGFACE-ORG-TOKEN",
        "Hugging Face organization API token",
        r"api_org_[A-Za-z]{34}",
        ("api_org_",),
        "https://huggingface.co/docs/hub/security-tokens",
        peers={"gitleaks": "huggingface-organization-api-token"},
        entropy=3.5,
    ),
    prefixed_rule(
        "SECRET-PERPLEXITY-API-KEY",
        "Perplexity API key",
        r"pplx-[A-Za-z0-9]{48}",
        ("pplx-",),
        "https://docs.perplexity.ai/guides/getting-started",
        peers={"gitleaks": "perplexity-api-key"},
        fence=r"\w\-",
    ),
)

_CI = (
    prefixed_rule(
        "SECRET-BUILDKITE-API-TOKEN",
        "Buildkite API access token",
        r"bkua_[a-f0-9]{40}",
        ("bkua_",),
        "https://buildkite.com/docs/apis/managing-api-tokens",
    ),
    prefixed_rule(
        "SECRET-CIRCLECI-PAT",
        "CircleCI personal API token",
        r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}",
        ("ccipat_",),
        "https://circleci.com/docs/managing-api-tokens/",
        severity=_C,
    ),
    prefixed_rule(
        "SECRET-SONARQUBE-TOKEN",
        "SonarQube user, project or global analysis token",
        r"sq[uap]_[a-f0-9]{40}",
        ("squ_", "sqp_", "sqa_"),
        "https://docs.sonarsource.com/sonarqube-server/latest/user-guide/managing-tokens/",
    ),
    prefixed_rule(
        "SECRET-SOURCEGRAPH-TOKEN",
        "Sourcegraph access token",
        r"sgp_(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}",
        ("sgp_",),
        "https://sourcegraph.com/docs/cli/how-tos/creating_an_access_token",
    ),
    prefixed_rule(
        "SECRET-HARNESS-TOKEN",
        "Harness personal or service account token",
        r"(?:pat|sat)\.[\w\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
        ("pat.", "sat."),
        "https://developer.harness.io/docs/platform/automation/api/add-and-manage-api-keys/",
        peers={"gitleaks": "harness-api-key"},
        fence=r"\w\-.",
    ),
    SecretRule(
        id="SECRET-OCTOPUS-DEPLOY-API-KEY",
        title="Octopus Deploy API key",
        severity=_H,
        keywords=("api-",),
        pattern=token(r"API-[A-Z0-9]{26}", fence=r"\w\-"),
        entropy=3.5,
        # Real keys are random; an upper-case constant such as API-GATEWAY-... has no digit.
        validator=lambda value: sum(c.isdigit() for c in value) >= 3,
        peers={"gitleaks": "octopus-deploy-api-key"},
        references=("https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key",),
    ),
    prefixed_rule(
        "SECRET-ARTIFACTORY-REFERENCE-TOKEN",
        "JFrog Artifactory reference token",
        # The base64 of "reftkn:" followed by the token's version and body.
        r"cmVmdGtu[A-Za-z0-9]{56}",
        ("cmvmdgtu",),
        "https://jfrog.com/help/r/jfrog-platform-administration-documentation/access-tokens",
        peers={"gitleaks": "artifactory-reference-token"},
        fence=r"\w+/=",
    ),
    SecretRule(
        id="SECRET-SNYK-API-TOKEN",
        title="Snyk API token",
        severity=_H,
        keywords=("snyk",),
        pattern=assignment(
            r"snyk[\w.\-]{0,20}?(?:token|key|auth)",
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        ),
        window=ASSIGNMENT_WINDOW,
        entropy=3.0,
        # No gitleaks peer on purpose: every positive of gitleaks' snyk-api-token cases is
        # the placeholder 12345678-ABCD-ABCD-ABCD-1234567890AB, which secloop rejects.
        references=("https://docs.snyk.io/snyk-api/authentication-for-api",),
    ),
)

_IDENTITY = (
    prefixed_rule(
        "SECRET-1PASSWORD-SERVICE-ACCOUNT-TOKEN",
        "1Password service account token",
        r"ops_eyJ[A-Za-z0-9+/_\-]{250,4000}={0,3}",
        ("ops_eyj",),
        "https://developer.1password.com/docs/service-accounts/",
        peers={"gitleaks": "1password-service-account-token"},
        severity=_C,
        entropy=4.0,
        fence=r"\w+/=\-",
    ),
    prefixed_rule(
        "SECRET-1PASSWORD-SECRET-KEY",
        "1Password account Secret Key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
        r"-[A-Z0-9]{5}",
        ("a3-",),
        "https://support.1password.com/secret-key-security/",
        peers={"gitleaks": "1password-secret-key"},
        severity=_C,
        fence=r"\w\-",
    ),
    SecretRule(
        id="SECRET-OKTA-API-TOKEN",
        title="Okta API token",
        severity=_C,
        keywords=("okta",),
        # SSWS API tokens: "00" and 40 URL-safe characters, assigned to an Okta key.
        pattern=assignment(r"okta[\w.\-]{0,20}?(?:token|key|secret|ssws)", r"00[\w\-]{40}"),
        window=ASSIGNMENT_WINDOW,
        entropy=4.0,
        validator=mixes_case_and_digits,
        peers={"gitleaks": "okta-access-token"},
        references=("https://developer.okta.com/docs/guides/create-an-api-token/main/",),
    ),
)

_MORE_AI = (
    prefixed_rule(
        "SECRET-REPLICATE-API-TOKEN",
        "Replicate API token",
        r"r8_[A-Za-z0-9]{37}",
        ("r8_",),
        "https://replicate.com/docs/topics/security/api-tokens",
        entropy=3.5,
    ),
    prefixed_rule(
        "SECRET-GROQ-API-KEY",
        "Groq API key",
        r"gsk_[A-Za-z0-9]{52}",
        ("gsk_",),
        "https://console.groq.com/docs/api-keys",
        entropy=3.5,
    ),
    prefixed_rule(
        "SECRET-LANGSMITH-API-KEY",
        "LangSmith API key",
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
        ("lsv2_",),
        "https://docs.smith.langchain.com/administration/how_to_guides/organization_management/create_account_api_key",
    ),
    prefixed_rule(
        "SECRET-XAI-API-KEY",
        "xAI API key",
        r"xai-[A-Za-z0-9]{80}",
        ("xai-",),
        "https://docs.x.ai/docs/overview",
        severity=_C,
        entropy=3.5,
        fence=r"\w\-",
    ),
)

RULES: tuple[SecretRule, ...] = (
    *_REGISTRIES,
    *_HASHICORP,
    *_OBSERVABILITY,
    *_DELIVERY,
    *_CI,
    *_IDENTITY,
    *_AI,
    *_MORE_AI,
)
