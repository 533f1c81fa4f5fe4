"""Chat and messaging: Slack, Telegram, Discord, Microsoft Teams.

A webhook URL is a credential: anyone holding it can post into the channel, so the
secret part of the URL is reported like a token.
"""

from __future__ import annotations

import re

from secloop.core.severity import Severity
from secloop.scan.secrets.model import SecretRule, token

__all__ = ["RULES"]

_H, _M = Severity.HIGH, Severity.MEDIUM
_SLACK_REF = ("https://api.slack.com/authentication/token-types",)
_SLACK_FIX = "Revoke the token in the Slack app's settings (OAuth & Permissions) and reissue it."


def _slack(
    rule_id: str, title: str, body: str, keyword: str, gitleaks: str, *, specificity: int = 0
) -> SecretRule:
    return SecretRule(
        id=rule_id,
        title=title,
        severity=_H,
        keywords=(keyword,),
        pattern=token(body, fence=r"\w\-"),
        entropy=3.0,
        specificity=specificity,
        peers={"gitleaks": gitleaks, "detect-secrets": "SlackDetector"},
        references=_SLACK_REF,
        remediation=_SLACK_FIX,
        tags=("slack",),
    )


_SLACK = (
    _slack(
        "SECRET-SLACK-BOT-TOKEN",
        "Slack bot token",
        r"xoxb-\d{8,14}-\d{8,14}-[A-Za-z0-9]{24,34}",
        "xoxb-",
        "slack-bot-token",
    ),
    _slack(
        "SECRET-SLACK-LEGACY-BOT-TOKEN",
        "Slack legacy bot token",
        r"xoxb-\d{8,14}-[A-Za-z0-9]{18,24}",
        "xoxb-",
        "slack-legacy-bot-token",
    ),
    _slack(
        "SECRET-SLACK-USER-TOKEN",
        "Slack user token",
        r"xoxp-\d{8,14}-\d{8,14}-\d{8,14}-[a-fA-F0-9]{28,34}",
        "xoxp-",
        "slack-user-token",
    ),
    _slack(
        "SECRET-SLACK-LEGACY-TOKEN",
        "Slack legacy workspace, app or refresh token",
        r"xox[aorsp]-(?:\d-)?\d{6,14}-\d{6,14}-\d{6,14}-[a-fA-F0-9]{10,64}",
        "xox",
        "slack-legacy-token",
        specificity=-1,
    ),
    _slack(
        "SECRET-SLACK-APP-TOKEN",
        "Slack app-level token",
        r"xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-fA-F0-9]{64}",
        "xapp-",
        "slack-app-token",
    ),
    _slack(
        "SECRET-SLACK-CONFIG-ACCESS-TOKEN",
        "Slack app configuration access token",
        r"xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,300}",
        "xoxe.",
        "slack-config-access-token",
    ),
    _slack(
        "SECRET-SLACK-CONFIG-REFRESH-TOKEN",
        "Slack app configuration refresh token",
        r"xoxe-\d-[A-Za-z0-9]{120,200}",
        "xoxe-",
        "slack-config-refresh-token",
    ),
    SecretRule(
        id="SECRET-SLACK-WEBHOOK-URL",
        title="Slack incoming webhook or workflow URL",
        severity=_M,
        keywords=("hooks.slack.com",),
        pattern=re.compile(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"(?P<secret>[A-Za-z0-9+/_\-]{30,130})(?![A-Za-z0-9+/_\-])"
        ),
        entropy=3.5,
        peers={"gitleaks": "slack-webhook-url", "detect-secrets": "SlackDetector"},
        references=("https://api.slack.com/messaging/webhooks",),
        remediation="Regenerate the webhook URL in the Slack app's Incoming Webhooks page.",
        tags=("slack",),
    ),
)

_OTHERS = (
    SecretRule(
        id="SECRET-TELEGRAM-BOT-TOKEN",
        title="Telegram bot token",
        severity=_H,
        keywords=("telegram", ":aa"),
        pattern=re.compile(r"(?<![\w:])(?P<secret>\d{5,16}:[A-Za-z0-9_\-]{35})(?![\w\-])"),
        entropy=3.5,
        peers={"gitleaks": "telegram-bot-api-token", "detect-secrets": "TelegramBotTokenDetector"},
        references=("https://core.telegram.org/bots/api#authorizing-your-bot",),
        remediation="Revoke the token with @BotFather (/revoke) and use the new one.",
    ),
    SecretRule(
        id="SECRET-DISCORD-WEBHOOK-URL",
        title="Discord webhook URL",
        severity=_M,
        keywords=("/api/webhooks/",),
        pattern=re.compile(
            r"discord(?:app)?\.com/api/webhooks/\d{17,20}/(?P<secret>[\w\-]{60,70})(?![\w\-])"
        ),
        entropy=3.5,
        references=("https://discord.com/developers/docs/resources/webhook",),
    ),
    SecretRule(
        id="SECRET-DISCORD-BOT-TOKEN",
        title="Discord bot token",
        severity=_H,
        keywords=("discord",),
        pattern=token(r"[MNO][A-Za-z\d]{23,27}\.[\w\-]{6}\.[\w\-]{27,40}", fence=r"\w\-."),
        entropy=3.5,
        peers={"detect-secrets": "DiscordBotTokenDetector"},
        references=("https://discord.com/developers/docs/reference#authentication",),
    ),
    SecretRule(
        id="SECRET-MICROSOFT-TEAMS-WEBHOOK-URL",
        title="Microsoft Teams incoming webhook URL",
        severity=_M,
        keywords=("webhook.office.com",),
        pattern=re.compile(
            r"[a-z0-9\-]{1,64}\.webhook\.office\.com/webhookb2/"
            r"(?P<secret>[a-z0-9\-]{36}@[a-z0-9\-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9\-]{36})"
        ),
        peers={"gitleaks": "microsoft-teams-webhook"},
        references=(
            "https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook",
        ),
    ),
)

RULES: tuple[SecretRule, ...] = (*_SLACK, *_OTHERS)
