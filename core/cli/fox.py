"""``canary rebuild fox`` (recompute Fox's cases from the detections table) and ``canary digest``
(the case digest as text, HTML or an email) (docs/fox.md)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from core.cli.context import known_merchant, load
from core.cli.customers import rebuild_app
from core.cli.errors import UsageError, friendly
from core.cli.progress import each, progress

err = Console(stderr=True)


@rebuild_app.command("fox")
@friendly
def rebuild_fox(
    merchant: str | None = typer.Option(None, help="One merchant (default: every merchant)."),
) -> None:
    """Recompute every case from the detections Chirp published as alerts, keeping the analysts'
    decisions by case id; the cases are identical to what the live `fox` consumer holds."""
    from core.cases.service.consumer import rebuild
    from core.pipeline.sweeper import merchant_ids

    container = load()
    try:
        targets = [known_merchant(container, merchant)] if merchant else merchant_ids(container.db)
        with progress() as bar:
            for merchant_id in each(bar, targets, "rebuilding cases of"):
                summary = rebuild(container.db, merchant_id, container.clock)
                err.print(
                    f"[green]✓[/green] {merchant_id}: {summary.cases} cases from {summary.alerts} alerts "
                    f"({summary.informational} informational, no case)"
                )
    finally:
        container.close()


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.add_typer(notify_app, name="notify")
    app.add_typer(escalation_app, name="escalation")


@friendly
def digest(
    merchant: str = typer.Option(..., help="The merchant whose cases are summarised."),
    period: str = typer.Option("daily", help="daily or weekly."),
    end: str | None = typer.Option(None, help="The period's end, ISO 8601 with a zone (default: now)."),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
    send: bool = typer.Option(False, "--send", help="Email it (CANARY_SMTP_* settings) instead of printing."),
    to: list[str] = typer.Option([], "--to", help="A recipient (repeatable); needed with --send."),
) -> None:
    """The case digest: cases opened and closed, the confirmed-fraud rate, the top 3 patterns and the
    open cases by store ranked by severity, for the day or week ending now (or at --end)."""
    from core.cases.domain import digest as domain
    from core.cases.service.mail import MailError
    from core.cases.service.mail import send as send_mail
    from core.cli.context import known_merchant

    if period not in ("daily", "weekly"):
        raise UsageError(f"--period must be daily or weekly, got {period!r}")
    try:
        until = datetime.fromisoformat(end) if end else None
    except ValueError:
        raise UsageError(f"--end is not an ISO 8601 time: {end!r}") from None
    if until is not None and until.tzinfo is None:
        raise UsageError("--end needs a zone, e.g. 2026-05-04T00:00:00Z")
    if send and not to:
        raise UsageError("--send needs at least one --to address")
    container = load()
    try:
        known_merchant(container, merchant)
        chosen = domain.Period(period)
        stop = until or container.clock.now()
        made = container.fox_service.digest(merchant, chosen, stop)
        text, page = domain.render_text(made), domain.render_html(made)
        if send:
            try:
                send_mail(container.settings, to, domain.subject(made, merchant), text, page)
            except MailError as exc:
                raise UsageError(str(exc)) from None
            err.print(f"[green]✓[/green] {period} digest for {merchant} sent to {', '.join(to)}")
        else:
            typer.echo(page if html else text, nl=False)
    finally:
        container.close()


notify_app = typer.Typer(
    help="Fox's case notifications and scheduled digests: targets, subscriptions, the delivery log.",
    no_args_is_help=True,
)


@notify_app.command("add")
@friendly
def notify_add(
    merchant: str = typer.Option(..., help="The merchant whose cases are notified."),
    webhook: str | None = typer.Option(None, help="An http(s) URL receiving signed Slack-compatible JSON."),
    email: str | None = typer.Option(None, help="An email address (CANARY_SMTP_* settings)."),
    min_severity: str = typer.Option("high", help="Notify when a case reaches this severity."),
    actor: str = typer.Option("cli", help="Who set it up."),
) -> None:
    """Add a notification target. A webhook's signing secret is printed once: keep it to verify the
    X-Canary-Signature header (docs/fox.md)."""
    from core.cases.service.notify import NotifyError
    from core.cli.context import known_merchant

    if (webhook is None) == (email is None):
        raise UsageError("give --webhook URL or --email ADDRESS (one of them)")
    container = load()
    try:
        known_merchant(container, merchant)
        try:
            target, secret = container.notifier.add_target(
                merchant,
                "webhook" if webhook else "email",
                webhook or email or "",
                min_severity,
                actor=actor,
            )
        except NotifyError as exc:
            raise UsageError(str(exc)) from None
        err.print(
            f"[green]✓[/green] {target.target_id}: {target.kind} {target.address} from {target.min_severity}"
        )
        if secret:
            typer.echo(f"signing secret (shown once): {secret}")
    finally:
        container.close()


@notify_app.command("list")
@friendly
def notify_list(merchant: str = typer.Option(..., help="The merchant.")) -> None:
    """The merchant's notification targets and digest subscriptions (disabled ones say so)."""
    from core.cli.context import known_merchant

    container = load()
    try:
        known_merchant(container, merchant)
        for t in container.notifier.targets(merchant):
            off = "" if t.enabled else "  (disabled)"
            typer.echo(f"{t.target_id}  {t.kind:<7}  from {t.min_severity:<8}  {t.address}{off}")
        for d in container.digests.subscriptions(merchant):
            off = "" if d.enabled else "  (disabled)"
            typer.echo(f"{d.subscription_id}  digest   {d.period:<13}  {d.address}{off}")
    finally:
        container.close()


@notify_app.command("digest")
@friendly
def notify_digest(
    merchant: str = typer.Option(..., help="The merchant whose case digest is mailed."),
    to: str = typer.Option(..., "--to", help="The recipient's email address."),
    period: str = typer.Option("daily", help="daily (each local day) or weekly (weeks end Monday 00:00)."),
    actor: str = typer.Option("cli", help="Who set it up."),
) -> None:
    """Mail the case digest to a recipient after every day or week closes (the merchant's local
    midnight), sent by the housekeeping loop of `canary serve` / `canary worker sweeper`."""
    from core.cases.service.notify import NotifyError
    from core.cli.context import known_merchant

    container = load()
    try:
        known_merchant(container, merchant)
        try:
            made = container.digests.subscribe(merchant, to, period, actor=actor)
        except NotifyError as exc:
            raise UsageError(str(exc)) from None
        err.print(f"[green]✓[/green] {made.subscription_id}: {made.period} digest to {made.address}")
    finally:
        container.close()


def _set_enabled(merchant: str, target: str, enabled: bool) -> None:
    from core.cli.context import known_merchant

    container = load()
    try:
        known_merchant(container, merchant)
        if target.startswith("dg_"):
            found = container.digests.set_enabled(merchant, target, enabled)
        else:
            found = container.notifier.set_enabled(merchant, target, enabled)
        if not found:
            raise UsageError(
                f"{merchant} has no notification target or digest {target!r} (canary notify list)"
            )
        err.print(f"[green]✓[/green] {target} {'enabled' if enabled else 'disabled'}")
    finally:
        container.close()


@notify_app.command("disable")
@friendly
def notify_disable(
    target: str = typer.Argument(..., help="A target (nt_…) or digest (dg_…) id from `canary notify list`."),
    merchant: str = typer.Option(..., help="The merchant."),
) -> None:
    """Stop notifying a target or mailing a digest; what is queued waits until it is enabled again."""
    _set_enabled(merchant, target, False)


@notify_app.command("enable")
@friendly
def notify_enable(
    target: str = typer.Argument(..., help="A target (nt_…) or digest (dg_…) id from `canary notify list`."),
    merchant: str = typer.Option(..., help="The merchant."),
) -> None:
    """Resume a disabled target or digest; what waited for it is delivered on the next round."""
    _set_enabled(merchant, target, True)


@notify_app.command("log")
@friendly
def notify_log(
    merchant: str = typer.Option(..., help="The merchant."),
    deliver: bool = typer.Option(False, "--deliver", help="Send what is due first."),
) -> None:
    """The delivery log, newest first: delivered, pending (with the next attempt) or failing (five
    failed attempts or more; still retried), with the last error."""
    from core.cli.context import known_merchant

    container = load()
    try:
        known_merchant(container, merchant)
        if deliver:
            done = container.notifier.deliver(merchant)
            err.print(f"delivered {done.delivered}, failed {done.failed}")
            sent = container.digests.run(merchant)
            err.print(f"digests delivered {sent.delivered}, failed {sent.failed}")
        for d in container.notifier.log(merchant):
            when = d.delivered_at if d.state == "delivered" else d.next_attempt_at
            error = f"  {d.last_error}" if d.last_error and d.state != "delivered" else ""
            typer.echo(
                f"{d.notification_id}  {d.state:<9}  {d.severity:<8}  {d.case_id}  {d.target_id}  "
                f"attempts {d.attempts}  {when:%Y-%m-%d %H:%M:%S}{error}"
            )
        for g in container.digests.log(merchant):
            error = f"  {g.last_error}" if g.last_error and g.state != "delivered" else ""
            typer.echo(
                f"{g.send_id}  {g.state:<9}  {g.period} digest to {g.address} for the period ending "
                f"{g.period_end:%Y-%m-%d %H:%M %Z}  attempts {g.attempts}{error}"
            )
    finally:
        container.close()


escalation_app = typer.Typer(help="Fox's escalation count rules per tenant.", no_args_is_help=True)


@escalation_app.command("list")
@friendly
def escalation_list(merchant: str = typer.Option(..., help="The merchant.")) -> None:
    """The escalation rules in force (the tenant's own, or the defaults)."""
    from core.cli.context import known_merchant

    container = load()
    try:
        known_merchant(container, merchant)
        source, rules = container.fox_service.escalation_rules(merchant)
        typer.echo(f"{source} rules:")
        for rule in rules:
            typer.echo(f"  {rule.describe(rule.min_count)}")
    finally:
        container.close()


@escalation_app.command("set")
@friendly
def escalation_set(
    merchant: str = typer.Option(..., help="The merchant."),
    name: str = typer.Option(..., help="The rule's name (an existing name is replaced)."),
    min_count: int = typer.Option(..., help="At least this many matching detections (or distinct values)."),
    within_days: int = typer.Option(..., help="Within this many days."),
    to: str = typer.Option(..., help="Raise the case to this severity."),
    min_severity: str = typer.Option("low", help="Count detections at least this severe."),
    rule_id: list[str] = typer.Option([], "--rule-id", help="Count only these rules (repeatable)."),
    distinct: str = typer.Option("", help="Count distinct drawer_session_id or employee_id instead."),
    actor: str = typer.Option("cli", help="Who set it."),
) -> None:
    """Add or replace an escalation rule, e.g. 2 high detections in 1 day → critical. The tenant's
    first rule copies the defaults in beside it, so setting one never drops the others silently."""
    from core.cases.domain.escalation import EscalationError, rules_from_config
    from core.cli.context import known_merchant

    try:
        [rule] = rules_from_config(
            [
                {
                    "name": name,
                    "min_count": min_count,
                    "within_days": within_days,
                    "to": to,
                    "min_severity": min_severity,
                    "rule_ids": rule_id,
                    "distinct": distinct,
                }
            ]
        )
    except EscalationError as exc:
        raise UsageError(str(exc)) from None
    container = load()
    try:
        known_merchant(container, merchant)
        container.fox_service.set_escalation_rule(merchant, rule, actor=actor)
        err.print(f"[green]✓[/green] {rule.describe(rule.min_count)}")
    finally:
        container.close()
