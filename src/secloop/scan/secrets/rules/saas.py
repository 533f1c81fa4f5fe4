"""SaaS APIs: payments (Stripe, Square, Flutterwave, Shippo, EasyPost, Duffel), email
and messaging (Twilio, SendGrid, Mailgun, Mailchimp, Brevo), commerce (Shopify) and
productivity and design (Postman, Linear, Notion, Typeform, Frame.io, Figma, Airtable,
Contentful, Mapbox) and banking (Plaid).
"""

from __future__ import annotations

from secloop.core.severity import Severity
from secloop.scan.secrets.filters import has_character_classes
from secloop.scan.secrets.model import ASSIGNMENT_WINDOW, SecretRule, assignment, token

__all__ = ["RULES"]

_C, _H, _L = Severity.CRITICAL, Severity.HIGH, Severity.LOW


def _prefixed(
    rule_id: str,
    title: str,
    body: str,
    keywords: tuple[str, ...],
    reference: str,
    *,
    peers: dict[str, str] | None = None,
    severity: Severity = _H,
    entropy: float | None = 3.0,
    fence: str = r"\w",
    window: int | None = None,
) -> SecretRule:
    return SecretRule(
        id=rule_id,
        title=title,
        severity=severity,
        keywords=keywords,
        pattern=token(body, fence=fence),
        entropy=entropy,
        window=window,
        peers=peers or {},
        references=(reference,),
    )


_STRIPE_REF = "https://docs.stripe.com/keys"
_PAYMENTS = (
    _prefixed(
        "SECRET-STRIPE-LIVE-KEY",
        "Stripe live secret or restricted key",
        r"(?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{24,247}",
        ("sk_live_", "rk_live_", "sk_prod_", "rk_prod_"),
        _STRIPE_REF,
        peers={"gitleaks": "stripe-access-token", "detect-secrets": "StripeDetector"},
        severity=_C,
    ),
    _prefixed(
        "SECRET-STRIPE-TEST-KEY",
        "Stripe test-mode secret or restricted key",
        r"(?:sk|rk)_test_[A-Za-z0-9]{24,247}",
        ("sk_test_", "rk_test_"),
        _STRIPE_REF,
        peers={"gitleaks": "stripe-access-token"},
        severity=_L,
    ),
    _prefixed(
        "SECRET-STRIPE-WEBHOOK-SECRET",
        "Stripe webhook signing secret",
        r"whsec_[A-Za-z0-9]{32,64}",
        ("whsec_",),
        "https://docs.stripe.com/webhooks#verify-events",
    ),
    _prefixed(
        "SECRET-SQUARE-ACCESS-TOKEN",
        "Square access token",
        r"(?:EAAA[\w\-]{60}|sq0atp-[\w\-]{22,60})",
        ("eaaa", "sq0atp-"),
        "https://developer.squareup.com/docs/build-basics/access-tokens",
        peers={"gitleaks": "square-access-token"},
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-SQUARE-OAUTH-SECRET",
        "Square OAuth application secret",
        r"sq0csp-[\w\-]{43}",
        ("sq0csp-",),
        "https://developer.squareup.com/docs/oauth-api/overview",
        peers={"gitleaks": "square-secret", "detect-secrets": "SquareOAuthDetector"},
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-FLUTTERWAVE-SECRET-KEY",
        "Flutterwave secret key",
        r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X",
        ("flwseck",),
        "https://developer.flutterwave.com/docs/integration-guides/authentication",
        peers={"gitleaks": "flutterwave-secret-key"},
    ),
    _prefixed(
        "SECRET-FLUTTERWAVE-ENCRYPTION-KEY",
        "Flutterwave encryption key",
        r"FLWSECK(?:_TEST)?-[a-h0-9]{12}",
        ("flwseck",),
        "https://developer.flutterwave.com/docs/integration-guides/authentication",
        peers={"gitleaks": "flutterwave-encryption-key"},
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-SHIPPO-TOKEN",
        "Shippo API token",
        r"shippo_(?:live|test)_[a-fA-F0-9]{40}",
        ("shippo_",),
        "https://docs.goshippo.com/docs/guides_general/authentication/",
        peers={"gitleaks": "shippo-api-token"},
    ),
    _prefixed(
        "SECRET-EASYPOST-PRODUCTION-KEY",
        "EasyPost production API key",
        r"EZAK[A-Za-z0-9]{54}",
        ("ezak",),
        "https://docs.easypost.com/docs/authentication",
        peers={"gitleaks": "easypost-api-token"},
        fence=r"\w+/",
    ),
    _prefixed(
        "SECRET-EASYPOST-TEST-KEY",
        "EasyPost test API key",
        r"EZTK[A-Za-z0-9]{54}",
        ("eztk",),
        "https://docs.easypost.com/docs/authentication",
        peers={"gitleaks": "easypost-test-api-token"},
        severity=_L,
        fence=r"\w+/",
    ),
    _prefixed(
        "SECRET-DUFFEL-TOKEN",
        "Duffel API token",
        r"duffel_(?:test|live)_[\w=\-]{43}",
        ("duffel_",),
        "https://duffel.com/docs/api/overview/making-requests/authentication",
        peers={"gitleaks": "duffel-api-token"},
        fence=r"\w=\-",
    ),
)

_MESSAGING = (
    _prefixed(
        "SECRET-TWILIO-API-KEY",
        "Twilio API key SID",
        r"SK[0-9a-fA-F]{32}",
        # No keyword: "sk" occurs in most files, while the literal "SK" prefix lets the
        # regex skip ahead on its own, which is cheaper than waking the rule by keyword.
        (),
        "https://www.twilio.com/docs/iam/api-keys",
        peers={"gitleaks": "twilio-api-key", "detect-secrets": "TwilioKeyDetector"},
    ),
    SecretRule(
        id="SECRET-TWILIO-AUTH-TOKEN",
        title="Twilio auth token",
        severity=_C,
        keywords=("twilio",),
        pattern=assignment(r"twilio[\w.\-]{0,20}?(?:auth|token|secret)", r"[a-f0-9]{32}"),
        window=ASSIGNMENT_WINDOW,
        entropy=3.0,
        references=("https://www.twilio.com/docs/iam/access-tokens",),
    ),
    _prefixed(
        "SECRET-SENDGRID-API-KEY",
        "SendGrid API key",
        r"SG\.[\w\-]{22}\.[\w\-]{43}",
        ("sg.",),
        "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
        peers={"gitleaks": "sendgrid-api-token", "detect-secrets": "SendGridDetector"},
        fence=r"\w\-.",
    ),
    _prefixed(
        "SECRET-MAILGUN-API-KEY",
        "Mailgun private API key",
        r"key-[a-f0-9]{32}",
        ("key-",),
        "https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/#primary-account-api-key",
        peers={"gitleaks": "mailgun-private-api-token"},
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-MAILGUN-PUBLIC-KEY",
        "Mailgun public validation key",
        r"pubkey-[a-f0-9]{32}",
        ("pubkey-",),
        "https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/",
        peers={"gitleaks": "mailgun-pub-key"},
        severity=Severity.MEDIUM,
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-MAILCHIMP-API-KEY",
        "Mailchimp API key",
        r"[0-9a-f]{32}-us\d{1,2}",
        ("-us",),
        "https://mailchimp.com/developer/marketing/guides/quick-start/",
        peers={"gitleaks": "mailchimp-api-key", "detect-secrets": "MailchimpDetector"},
        window=64,
    ),
    _prefixed(
        "SECRET-BREVO-API-KEY",
        "Brevo (Sendinblue) API key",
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ("xkeysib-",),
        "https://developers.brevo.com/docs/getting-started",
        peers={"gitleaks": "sendinblue-api-token"},
    ),
)

_SHOPIFY_REF = "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens"
_COMMERCE = (
    _prefixed(
        "SECRET-SHOPIFY-ACCESS-TOKEN",
        "Shopify Admin API access token",
        r"shpat_[a-fA-F0-9]{32}",
        ("shpat_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-access-token"},
        severity=_C,
    ),
    _prefixed(
        "SECRET-SHOPIFY-SHARED-SECRET",
        "Shopify app shared secret",
        r"shpss_[a-fA-F0-9]{32}",
        ("shpss_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-shared-secret"},
    ),
    _prefixed(
        "SECRET-SHOPIFY-CUSTOM-APP-TOKEN",
        "Shopify custom app access token",
        r"shpca_[a-fA-F0-9]{32}",
        ("shpca_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-custom-access-token"},
        severity=_C,
    ),
    _prefixed(
        "SECRET-SHOPIFY-PRIVATE-APP-TOKEN",
        "Shopify private app access token",
        r"shppa_[a-fA-F0-9]{32}",
        ("shppa_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-private-app-access-token"},
        severity=_C,
    ),
)

_PRODUCTIVITY = (
    _prefixed(
        "SECRET-POSTMAN-API-KEY",
        "Postman API key",
        r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}",
        ("pmak-",),
        "https://learning.postman.com/docs/developer/postman-api/authentication/",
        peers={"gitleaks": "postman-api-token"},
    ),
    _prefixed(
        "SECRET-LINEAR-API-KEY",
        "Linear API key",
        r"lin_api_[A-Za-z0-9]{40}",
        ("lin_api_",),
        "https://developers.linear.app/docs/graphql/working-with-the-graphql-api",
        peers={"gitleaks": "linear-api-key"},
    ),
    _prefixed(
        "SECRET-NOTION-TOKEN",
        "Notion integration token",
        r"ntn_\d{11}[A-Za-z0-9]{35}",
        ("ntn_",),
        "https://developers.notion.com/docs/authorization",
        peers={"gitleaks": "notion-api-token"},
        entropy=3.5,
    ),
    _prefixed(
        "SECRET-TYPEFORM-TOKEN",
        "Typeform personal access token",
        r"tfp_[\w\-.=]{59}",
        ("tfp_",),
        "https://www.typeform.com/developers/get-started/personal-access-token/",
        peers={"gitleaks": "typeform-api-token"},
        fence=r"\w\-.=",
    ),
    _prefixed(
        "SECRET-FRAMEIO-TOKEN",
        "Frame.io developer token",
        r"fio-u-[\w\-=]{64}",
        ("fio-u-",),
        "https://developer.frame.io/docs/getting-started/authentication",
        peers={"gitleaks": "frameio-api-token"},
        fence=r"\w\-=",
    ),
)

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _mixed(value: str) -> bool:
    """Random tokens mix cases and digits; identifiers in one case do not."""
    return has_character_classes(value, minimum=3)


_DESIGN = (
    SecretRule(
        id="SECRET-NOTION-LEGACY-TOKEN",
        title="Notion integration token (legacy secret_ format)",
        severity=_H,
        keywords=("secret_",),
        pattern=token(r"secret_[A-Za-z0-9]{43}"),
        # "secret_" starts many identifiers: require a random-looking body.
        entropy=4.0,
        validator=lambda value: _mixed(value[len("secret_") :]),
        references=("https://developers.notion.com/docs/authorization",),
    ),
    _prefixed(
        "SECRET-FIGMA-PAT",
        "Figma personal access token",
        r"figd_[\w\-]{38,44}",
        ("figd_",),
        "https://www.figma.com/developers/api#access-tokens",
        entropy=3.5,
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-AIRTABLE-PAT",
        "Airtable personal access token",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        ("pat",),
        "https://airtable.com/developers/web/guides/personal-access-tokens",
        peers={"gitleaks": "airtable-personnal-access-token"},
        fence=r"\w.",
    ),
    _prefixed(
        "SECRET-CONTENTFUL-PAT",
        "Contentful personal access token",
        r"CFPAT-[\w\-]{43}",
        ("cfpat-",),
        "https://www.contentful.com/developers/docs/references/authentication/",
        fence=r"\w\-",
    ),
    _prefixed(
        "SECRET-MAPBOX-SECRET-TOKEN",
        "Mapbox secret access token",
        r"sk\.eyJ[\w\-]{40,400}\.[\w\-]{20,30}",
        ("sk.eyj",),
        "https://docs.mapbox.com/accounts/guides/tokens/",
        fence=r"\w\-.",
    ),
    _prefixed(
        "SECRET-PLAID-ACCESS-TOKEN",
        "Plaid access token",
        rf"access-(?:sandbox|development|production)-{_UUID}",
        ("access-sandbox-", "access-development-", "access-production-"),
        "https://plaid.com/docs/api/tokens/",
        peers={"gitleaks": "plaid-api-token"},
        fence=r"\w\-",
    ),
)

RULES: tuple[SecretRule, ...] = (
    *_PAYMENTS,
    *_MESSAGING,
    *_COMMERCE,
    *_PRODUCTIVITY,
    *_DESIGN,
)
