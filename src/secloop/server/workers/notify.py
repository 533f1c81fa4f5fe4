"""Webhook jobs: fan events out to the targets that want them, deliver with retries.

Delivery of one event to one target is one ``WebhookJob`` per attempt. A retryable
failure submits the next attempt after an exponential backoff with jitter, up to
``webhook_max_attempts``; every outcome is logged and counted
(``secloop_webhook_deliveries_total{outcome}``).
"""

from __future__ import annotations

import logging

from secloop.server.webhooks import events
from secloop.server.webhooks.config import EventType, WebhookTarget
from secloop.server.webhooks.deliver import Outcome, backoff_seconds, send
from secloop.server.webhooks.guard import Allowlist, WebhookRefusedError, check_url
from secloop.server.workers.execute import WorkerContext, now_utc
from secloop.server.workers.interface import WorkerError
from secloop.server.workers.jobs import WebhookJob

LOG = logging.getLogger(__name__)
_STATUS_CURSOR = "status_change_cursor"


def _base(ctx: WorkerContext) -> str:
    return ctx.settings.public_url.rstrip("/")


def dispatch(ctx: WorkerContext, event: events.Event) -> int:
    """Submit one delivery per interested target; how many were submitted."""
    submitted = 0
    for target in ctx.settings.webhooks:
        if target.wants(event.type, event.project):
            ctx.runner.submit(
                WebhookJob(
                    target=target.name,
                    event=event.type.value,
                    delivery_id=event.delivery_id,
                    body=event.body,
                )
            )
            submitted += 1
    return submitted


def _wanted(ctx: WorkerContext, kind: EventType) -> bool:
    return any(kind in target.events for target in ctx.settings.webhooks)


def announce_new_criticals(ctx: WorkerContext, scan_id: int) -> int:
    """After an ingest: one event for the scan's new critical findings, once per scan."""
    if not _wanted(ctx, EventType.NEW_CRITICAL):
        return 0
    with ctx.sessions() as session:
        event = events.new_criticals(session, scan_id, base=_base(ctx), now=now_utc())
    if event is None or not ctx.runner.store.claim("new_critical", str(scan_id)):
        return 0
    return dispatch(ctx, event)


def _sla(ctx: WorkerContext) -> int:
    if not _wanted(ctx, EventType.SLA_BREACH):
        return 0
    now = now_utc()
    with ctx.sessions() as session:
        late = events.overdue(session, now.date())
        # Announce each finding once per due date: a new due date can breach again.
        fresh = [
            row for row in late
            if ctx.runner.store.claim("sla_breach", f"{row.id}:{row.due_date}")
        ]  # fmt: skip
        found = list(events.sla_breaches(session, fresh, base=_base(ctx), now=now))
    return sum(dispatch(ctx, event) for event in found)


def _status(ctx: WorkerContext) -> int:
    if not _wanted(ctx, EventType.STATUS_CHANGE):
        return 0
    store = ctx.runner.store
    with ctx.sessions() as session:
        cursor = store.get_value(_STATUS_CURSOR)
        if cursor is None:  # the first sweep starts now rather than replaying history
            store.set_value(_STATUS_CURSOR, str(events.last_status_change(session)))
            return 0
        pairs, new_cursor = events.status_changes(session, int(cursor))
        fresh = [(c, f) for c, f in pairs if store.claim("status_change", str(c.id))]
        found = list(events.status_change_events(session, fresh, base=_base(ctx), now=now_utc()))
    store.set_value(_STATUS_CURSOR, str(new_cursor))
    return sum(dispatch(ctx, event) for event in found)


def sweep(ctx: WorkerContext) -> str:
    """The scheduled check: SLA breaches and status changes not yet announced."""
    breaches = _sla(ctx)
    changes = _status(ctx)
    return f"{breaches} SLA-breach and {changes} status-change deliveries queued"


def _target(ctx: WorkerContext, name: str) -> WebhookTarget:
    for target in ctx.settings.webhooks:
        if target.name == name:
            return target
    raise WorkerError(f"webhook target {name!r} is no longer configured")


def deliver(ctx: WorkerContext, job: WebhookJob) -> str:
    """One attempt; schedules the next one after a retryable failure."""
    settings, store = ctx.settings, ctx.runner.store
    target = _target(ctx, job.target)
    label = f"webhook {target.name} delivery {job.delivery_id} attempt {job.attempt}"
    try:
        destination = check_url(target.url, Allowlist.parse(settings.webhook_allow_hosts))
    except WebhookRefusedError as err:
        store.add("webhook_deliveries|refused")
        LOG.warning("%s refused: %s", label, err.message)
        raise WorkerError(f"{label} refused: {err.message}") from None
    attempt = send(
        target, destination, event=job.event, delivery_id=job.delivery_id,
        body=job.body.encode("utf-8"), timeout=settings.webhook_timeout_seconds,
    )  # fmt: skip
    if attempt.outcome is Outcome.DELIVERED:
        store.add("webhook_deliveries|delivered")
        LOG.info("%s delivered: %s", label, attempt.detail)
        return f"{label} delivered: {attempt.detail}"
    if attempt.outcome is Outcome.RETRY and job.attempt < settings.webhook_max_attempts:
        delay = backoff_seconds(job.attempt, settings.webhook_backoff_seconds)
        retry_id = ctx.runner.submit(_next(job), delay_seconds=delay)
        store.add("webhook_deliveries|retried")
        LOG.info("%s: %s; retry in %.1f s as job %s", label, attempt.detail, delay, retry_id)
        raise WorkerError(f"{label}: {attempt.detail}; retry in {delay:.1f} s as job {retry_id}")
    store.add("webhook_deliveries|failed")
    LOG.warning("%s gave up: %s", label, attempt.detail)
    raise WorkerError(f"{label} gave up: {attempt.detail}")


def _next(job: WebhookJob) -> WebhookJob:
    from dataclasses import replace

    return replace(job, attempt=job.attempt + 1)
