"""SaaS APIs: payments (Stripe, Square, Flutterwave, Shippo, EasyPost, Duffel), email
and messaging (Twilio, SendGrid, Mailgun, Mailchimp, Brevo), commerce (Shopify) and
productivity and design (Postman, Linear, Notion, Typeform, Frame.io, Figma, Airtable,
Contentful, Mapbox) and banking (Plaid).
"""

from __future__ import annotations

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

_C, _H, _L = Severity.CRITICAL, Severity.HIGH, Severity.LOW


_STRIPE_REF = "https://docs.stripe.com/keys"
_PAYMENTS = (
    prefixed_rule(
        "SECRET-STRIPE-LIVE-KEY",
        "Stripe live secret or restricted key",
        r"(?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{24,247}",
        ("sk_live_", "rk_live_", "sk_prod_", "rk_prod_"),
        _STRIPE_REF,
        peers={"gitleaks": "stripe-access-token", "detect-secrets": "StripeDetector"},
        severity=_C,
    ),
    prefixed_rule(
        "SECRET-STRIPE-TEST-KEY",
        "Stripe test-mode secret or restricted key",
        r"(?:sk|rk)_test_[A-Za-z0-9]{24,247}",
        ("sk_test_", "rk_test_"),
        _STRIPE_REF,
        peers={"gitleaks": "stripe-access-token"},
        severity=_L,
    ),
    prefixed_rule(
        "SECRET-STRIPE-WEBHOOK-SECRET",
        "Stripe webhook signing secret",
        r"whsec_[A-Za-z0-9]{32,64}",
        ("whsec_",),
        "https://docs.stripe.com/webhooks#verify-events",
    ),
    prefixed_rule(
        "SECRET-SQUARE-ACCESS-TOKEN",
        "Square access token",
        r"(?:EAAA[\w\-]{60}|sq0atp-[\w\-]{22,60})",
        ("eaaa", "sq0atp-"),
        "https://developer.squareup.com/docs/build-basics/access-tokens",
        peers={"gitleaks": "square-access-token"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-SQUARE-OAUTH-SECRET",
        "Square OAuth application secret",
        r"sq0csp-[\w\-]{43}",
        ("sq0csp-",),
        "https://developer.squareup.com/docs/oauth-api/overview",
        peers={"gitleaks": "square-secret", "detect-secrets": "SquareOAuthDetector"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-FLUTTERWAVE-SECRET-KEY",
        "Flutterwave secret key",
        r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X",
        ("flwseck",),
        "https://developer.flutterwave.com/docs/integration-guides/authentication",
        peers={"gitleaks": "flutterwave-secret-key"},
    ),
    prefixed_rule(
        "SECRET-FLUTTERWAVE-ENCRYPTION-KEY",
        "Flutterwave encryption key",
        r"FLWSECK(?:_TEST)?-[a-h0-9]{12}",
        ("flwseck",),
        "https://developer.flutterwave.com/docs/integration-guides/authentication",
        peers={"gitleaks": "flutterwave-encryption-key"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-SHIPPO-TOKEN",
        "Shippo API token",
        r"shippo_(?:live|test)_[a-fA-F0-9]{40}",
        ("shippo_",),
        "https://docs.goshippo.com/docs/guides_general/authentication/",
        peers={"gitleaks": "shippo-api-token"},
    ),
    prefixed_rule(
        "SECRET-EASYPOST-PRODUCTION-KEY",
        "EasyPost production API key",
        r"EZAK[A-Za-z0-9]{54}",
        ("ezak",),
        "https://docs.easypost.com/docs/authentication",
        peers={"gitleaks": "easypost-api-token"},
        fence=r"\w+/",
    ),
    prefixed_rule(
        "SECRET-EASYPOST-TEST-KEY",
        "EasyPost test API key",
        r"EZTK[A-Za-z0-9]{54}",
        ("eztk",),
        "https://docs.easypost.com/docs/authentication",
        peers={"gitleaks": "easypost-test-api-token"},
        severity=_L,
        fence=r"\w+/",
    ),
    prefixed_rule(
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
    prefixed_rule(
        "SECRET-TWILIO-API-KEY",
        "Twilio API key SID",
        r"SK[0-9a-fA-F]{32}",
        # No keyword: "sk" occurs in most files. The token's own shape, checked in the
        # prefilter's RE2 pass, wakes the rule instead.
        (),
        "https://www.twilio.com/docs/iam/api-keys",
        peers={"gitleaks": "twilio-api-key", "detect-secrets": "TwilioKeyDetector"},
        prefilter_patterns=(r"sk[0-9a-f]{32}",),
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
    prefixed_rule(
        "SECRET-SENDGRID-API-KEY",
        "SendGrid API key",
        r"SG\.[\w\-]{22}\.[\w\-]{43}",
        ("sg.",),
        "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
        peers={"gitleaks": "sendgrid-api-token", "detect-secrets": "SendGridDetector"},
        fence=r"\w\-.",
    ),
    prefixed_rule(
        "SECRET-MAILGUN-API-KEY",
        "Mailgun private API key",
        r"key-[a-f0-9]{32}",
        ("key-",),
        "https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/#primary-account-api-key",
        peers={"gitleaks": "mailgun-private-api-token"},
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-MAILGUN-PUBLIC-KEY",
        "Mailgun public validation key",
        r"pubkey-[a-f0-9]{32}",
        ("pubkey-",),
        "https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/",
        peers={"gitleaks": "mailgun-pub-key"},
        severity=Severity.MEDIUM,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-MAILCHIMP-API-KEY",
        "Mailchimp API key",
        r"[0-9a-f]{32}-us\d{1,2}",
        ("-us",),
        "https://mailchimp.com/developer/marketing/guides/quick-start/",
        peers={"gitleaks": "mailchimp-api-key", "detect-secrets": "MailchimpDetector"},
        window=64,
    ),
    prefixed_rule(
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
    prefixed_rule(
        "SECRET-SHOPIFY-ACCESS-TOKEN",
        "Shopify Admin API access token",
        r"shpat_[a-fA-F0-9]{32}",
        ("shpat_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-access-token"},
        severity=_C,
    ),
    prefixed_rule(
        "SECRET-SHOPIFY-SHARED-SECRET",
        "Shopify app shared secret",
        r"shpss_[a-fA-F0-9]{32}",
        ("shpss_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-shared-secret"},
    ),
    prefixed_rule(
        "SECRET-SHOPIFY-CUSTOM-APP-TOKEN",
        "Shopify custom app access token",
        r"shpca_[a-fA-F0-9]{32}",
        ("shpca_",),
        _SHOPIFY_REF,
        peers={"gitleaks": "shopify-custom-access-token"},
        severity=_C,
    ),
    prefixed_rule(
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
    prefixed_rule(
        "SECRET-POSTMAN-API-KEY",
        "Postman API key",
        r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}",
        ("pmak-",),
        "https://learning.postman.com/docs/developer/postman-api/authentication/",
        peers={"gitleaks": "postman-api-token"},
    ),
    prefixed_rule(
        "SECRET-LINEAR-API-KEY",
        "Linear API key",
        r"lin_api_[A-Za-z0-9]{40}",
        ("lin_api_",),
        "https://developers.linear.app/docs/graphql/working-with-the-graphql-api",
        peers={"gitleaks": "linear-api-key"},
    ),
    prefixed_rule(
        "SECRET-NOTION-TOKEN",
        "Notion integration token",
        r"ntn_\d{11}[A-Za-z0-9]{35}",
        ("ntn_",),
        "https://developers.notion.com/docs/authorization",
        peers={"gitleaks": "notion-api-token"},
        entropy=3.5,
    ),
    prefixed_rule(
        "SECRET-TYPEFORM-TOKEN",
        "Typeform personal access token",
        r"tfp_[\w\-.=]{59}",
        ("tfp_",),
        "https://www.typeform.com/developers/get-started/personal-access-token/",
        peers={"gitleaks": "typeform-api-token"},
        fence=r"\w\-.=",
    ),
    prefixed_rule(
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


_DESIGN = (
    SecretRule(
        id="SECRET-NOTION-LEGACY-TOKEN",
        title="Notion integration token (legacy secret_ format)",
        severity=_H,
        keywords=("secret_",),
        pattern=token(r"secret_[A-Za-z0-9]{43}"),
        # "secret_" starts many identifiers: require a random-looking body.
        entropy=4.0,
        validator=lambda value: mixes_case_and_digits(value[len("secret_") :]),
        references=("https://developers.notion.com/docs/authorization",),
    ),
    prefixed_rule(
        "SECRET-FIGMA-PAT",
        "Figma personal access token",
        r"figd_[\w\-]{38,44}",
        ("figd_",),
        "https://www.figma.com/developers/api#access-tokens",
        entropy=3.5,
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-AIRTABLE-PAT",
        "Airtable personal access token",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        ("pat",),
        "https://airtable.com/developers/web/guides/personal-access-tokens",
        peers={"gitleaks": "airtable-personnal-access-token"},
        fence=r"\w.",
    ),
    prefixed_rule(
        "SECRET-CONTENTFUL-PAT",
        "Contentful personal access token",
        r"CFPAT-[\w\-]{43}",
        ("cfpat-",),
        "https://www.contentful.com/developers/docs/references/authentication/",
        fence=r"\w\-",
    ),
    prefixed_rule(
        "SECRET-MAPBOX-SECRET-TOKEN",
        "Mapbox secret access token",
        r"sk\.eyJ[\w\-]{40,400}\.[\w\-]{20,30}",
        ("sk.eyj",),
        "https://docs.mapbox.com/accounts/guides/tokens/",
        fence=r"\w\-.",
    ),
    prefixed_rule(
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
