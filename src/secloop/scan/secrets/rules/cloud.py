"""Cloud and hosting providers: AWS, Google Cloud, Azure, Alibaba, Tencent, DigitalOcean,
Heroku, IBM Cloud, Cloudflare, Databricks, Fly.io, Scalingo, PlanetScale, and hosting
and platform services (Supabase, Neon, Render, Netlify, Vercel, Tailscale, Azure DevOps,
OpenShift).

Patterns follow each provider's published token format; where a provider's secret has
no self-identifying prefix (an AWS secret access key is 40 base64 characters), the rule
requires the provider's name in the key it is assigned to.
"""

from __future__ import annotations

import re

from secloop.core.severity import Severity
from secloop.scan.secrets.filters import has_character_classes
from secloop.scan.secrets.model import ASSIGNMENT_WINDOW, SecretRule, assignment, token

__all__ = ["RULES"]

_C, _H = Severity.CRITICAL, Severity.HIGH
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _mixed(value: str) -> bool:
    """Real keys mix letters and digits; words in capitals or counters do not."""
    return has_character_classes(value, minimum=2) and any(c.isdigit() for c in value)


_AWS = (
    SecretRule(
        id="SECRET-AWS-ACCESS-KEY-ID",
        title="AWS access key ID",
        severity=_C,
        keywords=("akia", "asia", "abia", "acca", "a3t"),
        # Unique-ID prefixes (AKIA long-term, ASIA temporary, ABIA/ACCA service) and
        # 16 base32 characters, as in the IAM identifiers reference.
        pattern=token(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}"),
        peers={"gitleaks": "aws-access-token", "detect-secrets": "AWSKeyDetector"},
        references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html",),
        remediation="Deactivate the key in IAM, rotate it, and use roles or SSO instead.",
        tags=("aws",),
    ),
    SecretRule(
        id="SECRET-AWS-SECRET-ACCESS-KEY",
        title="AWS secret access key",
        severity=_C,
        keywords=("aws", "secret_access_key", "secretaccesskey"),
        pattern=assignment(
            r"aws[\w.\-]{0,20}?secret|secret_?access_?key", r"[A-Za-z0-9/+]{40}", max_gap=30
        ),
        window=ASSIGNMENT_WINDOW,
        entropy=4.0,
        peers={"detect-secrets": "AWSKeyDetector"},
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        ),
        remediation="Deactivate the key pair in IAM and rotate it; prefer roles or SSO.",
        tags=("aws",),
    ),
    SecretRule(
        id="SECRET-AWS-BEDROCK-API-KEY",
        title="Amazon Bedrock long-lived API key",
        severity=_H,
        keywords=("absk",),
        pattern=token(r"ABSK[A-Za-z0-9+/]{100,400}={0,2}", fence=r"\w+/="),
        entropy=4.0,
        peers={"gitleaks": "aws-amazon-bedrock-api-key-long-lived"},
        references=("https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html",),
        tags=("aws",),
    ),
)

_GOOGLE = (
    SecretRule(
        id="SECRET-GCP-SERVICE-ACCOUNT-KEY",
        title="Google Cloud service-account private key (JSON key file)",
        severity=_C,
        keywords=("private_key",),
        # The key file stores the PEM on one JSON line with escaped newlines.
        pattern=re.compile(
            r"\"private_key\"\s{0,4}:\s{0,4}\"-----BEGIN (?:RSA )?PRIVATE KEY-----\\n"
            r"(?P<secret>[A-Za-z0-9+/=\\]{64,16384}?)\\n-----END (?:RSA )?PRIVATE KEY-----"
        ),
        placeholder_check=False,
        specificity=10,
        references=("https://cloud.google.com/iam/docs/keys-create-delete",),
        remediation="Delete the key in IAM, create a new one, prefer workload identity.",
        tags=("gcp",),
    ),
    SecretRule(
        id="SECRET-GCP-API-KEY",
        title="Google API key",
        severity=_H,
        keywords=("aiza",),
        pattern=token(r"AIza[0-9A-Za-z_\-]{35}"),
        entropy=3.5,
        peers={"gitleaks": "gcp-api-key"},
        references=("https://cloud.google.com/docs/authentication/api-keys",),
        remediation="Delete or restrict the key in the Cloud console and issue a new one.",
        tags=("gcp",),
    ),
)

_AZURE = (
    SecretRule(
        id="SECRET-AZURE-STORAGE-ACCOUNT-KEY",
        title="Azure storage account key (connection string)",
        severity=_C,
        keywords=("accountkey",),
        pattern=re.compile(r"(?i:AccountKey)\s{0,2}=\s{0,2}(?P<secret>[A-Za-z0-9+/]{86}==)"),
        entropy=4.5,
        peers={"detect-secrets": "AzureStorageKeyDetector"},
        references=(
            "https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string",
        ),
        remediation="Rotate the account key in the portal; prefer Entra ID or SAS with expiry.",
        tags=("azure",),
    ),
    SecretRule(
        id="SECRET-AZURE-SHARED-ACCESS-KEY",
        title="Azure Service Bus / Event Hubs shared access key",
        severity=_H,
        keywords=("sharedaccesskey",),
        pattern=re.compile(
            r"(?i:SharedAccessKey)\s{0,2}=\s{0,2}(?P<secret>[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/])"
        ),
        entropy=4.0,
        references=("https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas",),
        tags=("azure",),
    ),
    SecretRule(
        id="SECRET-AZURE-SAS-TOKEN",
        title="Azure shared access signature (SAS) URL",
        severity=_H,
        keywords=("sig=",),
        pattern=re.compile(
            r"sv=\d{4}-\d{2}-\d{2}[^\s\"'<>]{0,400}?[?&]sig="
            r"(?P<secret>[A-Za-z0-9%+/]{40,90}(?:%3[Dd]|=){0,2})"
        ),
        entropy=4.0,
        references=("https://learn.microsoft.com/azure/storage/common/storage-sas-overview",),
        tags=("azure",),
    ),
    SecretRule(
        id="SECRET-AZURE-AD-CLIENT-SECRET",
        title="Microsoft Entra ID (Azure AD) client secret",
        severity=_C,
        keywords=("q~",),
        # Client secrets carry "Q~" after a three-character id and a version digit.
        pattern=re.compile(
            r"(?<![\w~.\-])(?P<secret>[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})"
            r"(?![\w~.\-])"
        ),
        entropy=3.5,
        validator=_mixed,
        peers={"gitleaks": "azure-ad-client-secret"},
        references=(
            "https://learn.microsoft.com/entra/identity-platform/howto-create-service-principal-portal",
        ),
        tags=("azure",),
    ),
)

_ASIA = (
    SecretRule(
        id="SECRET-ALIBABA-ACCESS-KEY-ID",
        title="Alibaba Cloud AccessKey ID",
        severity=_H,
        keywords=("ltai",),
        pattern=token(r"LTAI[A-Za-z0-9]{12,20}"),
        entropy=3.0,
        peers={"gitleaks": "alibaba-access-key-id"},
        references=(
            "https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair",
        ),
        tags=("alibaba",),
    ),
    SecretRule(
        id="SECRET-ALIBABA-ACCESS-KEY-SECRET",
        title="Alibaba Cloud AccessKey secret",
        severity=_C,
        keywords=("alibaba", "aliyun"),
        pattern=assignment(r"alibaba|aliyun", r"[A-Za-z0-9]{30}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"gitleaks": "alibaba-secret-key"},
        references=(
            "https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair",
        ),
        tags=("alibaba",),
    ),
    SecretRule(
        id="SECRET-TENCENT-SECRET-ID",
        title="Tencent Cloud SecretId",
        severity=_H,
        keywords=("akid",),
        pattern=token(r"AKID[A-Za-z0-9]{32}"),
        entropy=3.5,
        references=("https://www.tencentcloud.com/document/product/598/32675",),
        tags=("tencent",),
    ),
    SecretRule(
        id="SECRET-TENCENT-SECRET-KEY",
        title="Tencent Cloud SecretKey",
        severity=_C,
        keywords=("tencent",),
        pattern=assignment(r"tencent[\w.\-]{0,20}?(?:secret|key)", r"[A-Za-z0-9]{32}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        references=("https://www.tencentcloud.com/document/product/598/32675",),
        tags=("tencent",),
    ),
)

_PAAS = (
    SecretRule(
        id="SECRET-DIGITALOCEAN-PAT",
        title="DigitalOcean personal access token",
        severity=_C,
        keywords=("dop_v1_",),
        pattern=token(r"dop_v1_[a-f0-9]{64}"),
        peers={"gitleaks": "digitalocean-pat"},
        references=("https://docs.digitalocean.com/reference/api/create-personal-access-token/",),
    ),
    SecretRule(
        id="SECRET-DIGITALOCEAN-OAUTH-TOKEN",
        title="DigitalOcean OAuth access token",
        severity=_C,
        keywords=("doo_v1_",),
        pattern=token(r"doo_v1_[a-f0-9]{64}"),
        peers={"gitleaks": "digitalocean-access-token"},
        references=("https://docs.digitalocean.com/reference/api/oauth/",),
    ),
    SecretRule(
        id="SECRET-DIGITALOCEAN-REFRESH-TOKEN",
        title="DigitalOcean OAuth refresh token",
        severity=_C,
        keywords=("dor_v1_",),
        pattern=token(r"dor_v1_[a-f0-9]{64}"),
        peers={"gitleaks": "digitalocean-refresh-token"},
        references=("https://docs.digitalocean.com/reference/api/oauth/",),
    ),
    SecretRule(
        id="SECRET-HEROKU-API-KEY",
        title="Heroku API key (legacy UUID format)",
        severity=_H,
        keywords=("heroku",),
        pattern=assignment(r"heroku", _UUID),
        peers={"gitleaks": "heroku-api-key"},
        references=("https://devcenter.heroku.com/articles/authentication",),
    ),
    SecretRule(
        id="SECRET-HEROKU-API-KEY-V2",
        title="Heroku API key",
        severity=_H,
        keywords=("hrku-",),
        pattern=token(r"HRKU-AA[0-9A-Za-z_\-]{58}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"gitleaks": "heroku-api-key-v2"},
        references=("https://devcenter.heroku.com/articles/authentication",),
    ),
    SecretRule(
        id="SECRET-IBM-CLOUD-API-KEY",
        title="IBM Cloud IAM API key",
        severity=_H,
        keywords=("ibm", "iam", "cloud"),
        pattern=assignment(
            r"ibm[\w.\-]{0,20}?(?:api|iam|key|pass|pwd)|iam[_\-]?(?:api[_\-]?key|password)"
            r"|cloud[_\-]?api[_\-]?key",
            r"[A-Za-z0-9_\-]{44}",
        ),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        peers={"detect-secrets": "IbmCloudIamDetector"},
        references=("https://cloud.ibm.com/docs/account?topic=account-userapikey",),
    ),
    SecretRule(
        id="SECRET-CLOUDFLARE-ORIGIN-CA-KEY",
        title="Cloudflare Origin CA key",
        severity=_H,
        keywords=("v1.0-",),
        pattern=token(r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
        peers={"gitleaks": "cloudflare-origin-ca-key"},
        references=("https://developers.cloudflare.com/fundamentals/api/get-started/ca-keys/",),
    ),
    SecretRule(
        id="SECRET-DATABRICKS-TOKEN",
        title="Databricks personal access token",
        severity=_H,
        keywords=("dapi",),
        pattern=token(r"dapi[a-f0-9]{32}(?:-\d)?"),
        entropy=3.0,
        peers={"gitleaks": "databricks-api-token"},
        references=("https://docs.databricks.com/en/dev-tools/auth/pat.html",),
    ),
    SecretRule(
        id="SECRET-FLYIO-TOKEN",
        title="Fly.io access token",
        severity=_H,
        keywords=("fo1_", "fm1r_", "fm2_"),
        pattern=token(
            r"(?:fo1_[\w\-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})"
        ),
        entropy=4.0,
        peers={"gitleaks": "flyio-access-token"},
        references=("https://fly.io/docs/security/tokens/",),
    ),
    SecretRule(
        id="SECRET-SCALINGO-TOKEN",
        title="Scalingo API token",
        severity=_H,
        keywords=("tk-us-",),
        pattern=token(r"tk-us-[\w\-]{48}"),
        entropy=3.5,
        peers={"gitleaks": "scalingo-api-token"},
        references=("https://doc.scalingo.com/platform/user-management/api-tokens",),
    ),
    SecretRule(
        id="SECRET-PLANETSCALE-PASSWORD",
        title="PlanetScale database password",
        severity=_C,
        keywords=("pscale_pw_",),
        pattern=token(r"pscale_pw_[\w.=\-]{32,64}", fence=r"\w=\-"),
        entropy=3.0,
        peers={"gitleaks": "planetscale-password"},
        references=("https://planetscale.com/docs/concepts/connection-strings",),
    ),
    SecretRule(
        id="SECRET-PLANETSCALE-API-TOKEN",
        title="PlanetScale service token",
        severity=_H,
        keywords=("pscale_tkn_",),
        pattern=token(r"pscale_tkn_[\w.=\-]{32,64}", fence=r"\w=\-"),
        entropy=3.0,
        peers={"gitleaks": "planetscale-api-token"},
        references=("https://planetscale.com/docs/concepts/service-tokens",),
    ),
    SecretRule(
        id="SECRET-PLANETSCALE-OAUTH-TOKEN",
        title="PlanetScale OAuth token",
        severity=_H,
        keywords=("pscale_oauth_",),
        pattern=token(r"pscale_oauth_[\w.=\-]{32,64}", fence=r"\w=\-"),
        entropy=3.0,
        peers={"gitleaks": "planetscale-oauth-token"},
        references=("https://planetscale.com/docs/concepts/service-tokens",),
    ),
)

_HOSTING = (
    SecretRule(
        id="SECRET-CLOUDFLARE-API-TOKEN",
        title="Cloudflare API token",
        severity=_H,
        keywords=("cloudflare", "cf_api_token", "cf-api-token", "cf_token"),
        # Scoped API tokens are 40 URL-safe characters with no prefix: require the name.
        pattern=assignment(r"cloudflare|cf[_\-]api[_\-]token|cf[_\-]token", r"[\w\-]{40}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        validator=_mixed,
        peers={"gitleaks": "cloudflare-api-key"},
        references=(
            "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/",
        ),
    ),
    SecretRule(
        id="SECRET-CLOUDFLARE-GLOBAL-API-KEY",
        title="Cloudflare global API key",
        severity=_C,
        keywords=("cloudflare", "cf_api_key", "cf-api-key", "x-auth-key"),
        # The legacy account-wide key: 37 lowercase hexadecimal characters.
        pattern=assignment(r"cloudflare|cf[_\-]api[_\-]key|x-auth-key", r"[a-f0-9]{37}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.0,
        peers={"gitleaks": "cloudflare-global-api-key"},
        references=("https://developers.cloudflare.com/fundamentals/api/get-started/keys/",),
        remediation="Roll the global API key in the Cloudflare dashboard and move to scoped"
        " API tokens.",
    ),
    SecretRule(
        id="SECRET-SUPABASE-ACCESS-TOKEN",
        title="Supabase personal access token",
        severity=_C,
        keywords=("sbp_",),
        pattern=token(r"sbp_[a-f0-9]{40}"),
        entropy=3.0,
        references=("https://supabase.com/docs/reference/api/introduction",),
    ),
    SecretRule(
        id="SECRET-SUPABASE-SECRET-KEY",
        title="Supabase secret API key",
        severity=_C,
        keywords=("sb_secret_",),
        pattern=token(r"sb_secret_[\w\-]{30,64}", fence=r"\w\-"),
        entropy=3.5,
        references=("https://supabase.com/docs/guides/api/api-keys",),
    ),
    SecretRule(
        id="SECRET-NEON-API-KEY",
        title="Neon API key",
        severity=_H,
        keywords=("napi_",),
        pattern=token(r"napi_[a-z0-9]{64}"),
        entropy=3.5,
        references=("https://neon.tech/docs/manage/api-keys",),
    ),
    SecretRule(
        id="SECRET-RENDER-API-KEY",
        title="Render API key",
        severity=_H,
        keywords=("rnd_",),
        pattern=token(r"rnd_[A-Za-z0-9]{32}"),
        entropy=3.5,
        references=("https://render.com/docs/api#1-create-an-api-key",),
    ),
    SecretRule(
        id="SECRET-NETLIFY-ACCESS-TOKEN",
        title="Netlify personal access token",
        severity=_H,
        keywords=("netlify",),
        pattern=assignment(r"netlify", r"nfp_[A-Za-z0-9]{36,40}|[\w\-]{40,46}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        validator=_mixed,
        peers={"gitleaks": "netlify-access-token"},
        references=("https://docs.netlify.com/api/get-started/#authentication",),
    ),
    SecretRule(
        id="SECRET-VERCEL-ACCESS-TOKEN",
        title="Vercel access token",
        severity=_H,
        keywords=("vercel",),
        pattern=assignment(r"vercel", r"[A-Za-z0-9]{24}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        validator=_mixed,
        references=("https://vercel.com/docs/rest-api#creating-an-access-token",),
    ),
    SecretRule(
        id="SECRET-TAILSCALE-KEY",
        title="Tailscale auth key or API access token",
        severity=_H,
        keywords=("tskey-",),
        pattern=token(
            r"tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{8,24}-[A-Za-z0-9]{24,48}",
            fence=r"\w\-",
        ),
        entropy=3.5,
        references=("https://tailscale.com/kb/1085/auth-keys",),
    ),
    SecretRule(
        id="SECRET-AZURE-DEVOPS-PAT",
        title="Azure DevOps personal access token",
        severity=_C,
        keywords=("devops", "azdo", "ado_pat", "ado_token", "ado-pat", "ado-token", "vsts"),
        # Classic PATs are 52 lowercase base32 characters; the 84-character format
        # carries the JQQJ9 marker and the AZDO provider signature.
        pattern=assignment(
            r"azure[_\-.]?devops|devops[_\-]?(?:pat|token)|azdo|ado[_\-](?:pat|token)|vsts",
            r"[a-z2-7]{52}|[A-Za-z0-9]{52}JQQJ9[A-Za-z0-9]{19}AZDO[A-Za-z0-9]{4}",
        ),
        window=ASSIGNMENT_WINDOW,
        entropy=3.5,
        references=(
            "https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/"
            "use-personal-access-tokens-to-authenticate",
        ),
    ),
    SecretRule(
        id="SECRET-OPENSHIFT-USER-TOKEN",
        title="OpenShift OAuth user token",
        severity=_H,
        keywords=("sha256~",),
        pattern=token(r"sha256~[\w\-]{43}", fence=r"\w\-~"),
        entropy=3.5,
        peers={"gitleaks": "openshift-user-token"},
        references=(
            "https://docs.openshift.com/container-platform/4.15/authentication/"
            "managing-oauth-access-tokens.html",
        ),
    ),
)

RULES: tuple[SecretRule, ...] = (*_AWS, *_GOOGLE, *_AZURE, *_ASIA, *_PAAS, *_HOSTING)
