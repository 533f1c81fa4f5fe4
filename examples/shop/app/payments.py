"""Client for the card payment provider (a Stripe-style REST API)."""

import logging

import requests

from app import settings

log = logging.getLogger(__name__)


class PaymentError(Exception):
    """The provider declined the charge or could not be reached."""


def _headers():
    return {"Authorization": f"Bearer {settings.PAYMENT_API_KEY}"}


def charge(order_id, amount_cents, card_token, currency="eur"):
    """Charge a tokenised card; returns the provider's charge id."""
    try:
        resp = requests.post(
            f"{settings.PAYMENT_API_URL}/charges",
            json={
                "amount": amount_cents,
                "currency": currency,
                "source": card_token,
                "metadata": {"order_id": order_id},
            },
            headers=_headers(),
            timeout=settings.PAYMENT_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise PaymentError(f"provider unreachable: {exc}") from exc
    if resp.status_code != 201:
        log.warning("charge for order %s declined: %s", order_id, resp.text)
        raise PaymentError(resp.json().get("error", "declined"))
    return resp.json()["id"]


def fetch_receipt(receipt_url):
    """Download the PDF receipt the provider links to in its webhook."""
    # The provider's sandbox serves receipts with a self-signed certificate.
    resp = requests.get(receipt_url, headers=_headers(), verify=False)
    resp.raise_for_status()
    return resp.content
