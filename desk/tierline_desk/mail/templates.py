"""The mails Tierline sends, each one a paper trail for the shopper.

Every mail says what happened, lists the reference numbers to quote, and says what happens
next, in a friendly and patient tone. A template returns a :class:`Mail`; plain text and a
simple HTML alternative are both rendered from it (:func:`render_text`, :func:`render_html`),
so the two parts never disagree.

Wired today: return authorised, order cancelled, callback booked, specialist case opened,
transcript. Ready for the agent console: refund issued, replacement shipped, promotional
certificate (plain keyword arguments, no database objects needed).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ..api.schemas import CallbackOut, CaseOut, OrderOut, ReturnOut

SIGNATURE = "Warm regards,\nThe Tierline Support team"
WIDTH = 72


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime | None
    sender: str  # "user" or "bot"
    text: str
    # Files the message carried: (name, signed absolute link that expires).
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Mail:
    """One mail, before it becomes a MIME message."""

    kind: str  # machine name, also sent as the X-Tierline-Mail header
    to: str
    subject: str
    reference: str  # the main reference number, also sent as X-Tierline-Reference
    greeting: str
    intro: Sequence[str]  # what happened (paragraphs)
    facts: Sequence[tuple[str, str]]  # "Keep these for your records"
    next_steps: Sequence[str]  # "What happens next" (bullets)
    transcript: Sequence[TranscriptLine] = field(default_factory=tuple)
    outro: Sequence[str] = field(default_factory=tuple)
    # A mail that opens a case's email thread: its stable Message-ID and the case's reply
    # address (mail/case_threads.py).
    thread_of_case: str | None = None


# ------------------------------------------------------------------ formatting helpers
def greeting(name: str | None) -> str:
    first = (name or "").strip().split(" ")[0] if name and name.strip() else ""
    return f"Hi {first}," if first else "Hello,"


def money(amount: Decimal, currency: str = "USD") -> str:
    value = f"{amount.quantize(Decimal('0.01')):,}"
    return f"${value}" if currency.upper() == "USD" else f"{value} {currency.upper()}"


def long_date(d: date) -> str:
    return f"{d:%A, %B} {d.day}, {d.year}"


def long_time(dt: datetime) -> str:
    return f"{long_date(dt.date())} at {dt:%H:%M} UTC"


def human(code: str) -> str:
    return code.replace("_", " ")


def _reply_hint(reference: str) -> str:
    return (
        "If anything here looks wrong, or you have a question, just reply to this email "
        f"and mention {reference}. A real person reads every reply."
    )


# ------------------------------------------------------------------ wired templates
def return_authorized(ret: ReturnOut, *, to: str, name: str | None) -> Mail:
    return Mail(
        kind="return_authorized",
        to=to,
        subject=f"Your return is approved: {ret.item_name} ({ret.rma_number})",
        reference=ret.rma_number,
        greeting=greeting(name),
        intro=[
            f"Good news: we've approved the return of your {ret.item_name} from order "
            f"{ret.order_number}. Thank you for letting us know it didn't work out; "
            "here is everything you need, all in one place.",
        ],
        facts=[
            ("Return (RMA) number", ret.rma_number),
            ("Order number", ret.order_number),
            ("Item", f"{ret.item_name} ({ret.sku})"),
            ("Reason you gave", ret.reason),
            ("Drop it off by", long_date(ret.return_by)),
            ("Estimated refund", money(ret.refund_estimate)),
        ],
        next_steps=[
            ret.drop_off_instructions,
            f"Please drop it off by {long_date(ret.return_by)}. There's no charge for the return.",
            f"Once the item reaches us, we'll refund about {money(ret.refund_estimate)} to your "
            "original payment method, usually within 2 days. We'll email you when it's on its "
            "way.",
        ],
        outro=[_reply_hint(ret.rma_number)],
    )


def order_cancelled(order: OrderOut, *, reason: str | None = None) -> Mail:
    refund = next((r for r in reversed(order.refunds) if r.status == "pending"), None)
    items = ", ".join(
        f"{i.name}" + (f" (x{i.quantity})" if i.quantity > 1 else "") for i in order.items
    )
    facts: list[tuple[str, str]] = [
        ("Order number", order.order_number),
        ("Items", items or "-"),
        ("Order total", money(order.total, order.currency)),
    ]
    if reason:
        facts.append(("Reason you gave", reason))
    next_steps = ["Nothing will ship, and there is nothing you need to do."]
    if refund is not None:
        facts.append(("Refund number", refund.refund_id))
        facts.append(("Refund amount", money(refund.amount, order.currency)))
        when = f"by {long_date(refund.expected_by)}" if refund.expected_by else "within 5 days"
        next_steps.append(
            f"Your refund of {money(refund.amount, order.currency)} ({refund.refund_id}) goes "
            f"back to your original payment method {when}. Depending on your bank it can take "
            "a few more days to show on your statement."
        )
    return Mail(
        kind="order_cancelled",
        to=order.customer.email,
        subject=f"Your order {order.order_number} is cancelled",
        reference=refund.refund_id if refund is not None else order.order_number,
        greeting=greeting(order.customer.name),
        intro=[
            f"As you asked, we've cancelled order {order.order_number}. We're sorry it "
            "didn't work out this time.",
        ],
        facts=facts,
        next_steps=next_steps,
        outro=[_reply_hint(order.order_number)],
    )


def callback_booked(cb: CallbackOut, *, to: str, name: str | None) -> Mail:
    facts = [
        ("Callback reference", cb.callback_id),
        ("We'll call", cb.phone),
        ("Between", f"{long_time(cb.window_start)} and {cb.window_end:%H:%M} UTC"),
    ]
    if cb.window_end.date() != cb.window_start.date():
        facts[2] = ("Between", f"{long_time(cb.window_start)} and {long_time(cb.window_end)}")
    if cb.order_number:
        facts.append(("Order number", cb.order_number))
    facts.append(("What it's about", cb.reason))
    return Mail(
        kind="callback_booked",
        to=to,
        subject=f"Your callback is booked ({cb.callback_id})",
        reference=cb.callback_id,
        greeting=greeting(name),
        intro=[
            "Thanks for your patience. We've booked a call with one of our support team so "
            "you can talk it through with a person.",
        ],
        facts=facts,
        next_steps=[
            f"We'll ring {cb.phone} during the time above. The call may come from a number "
            "you don't recognise.",
            "If we miss you, we'll try once more and then email you to find a better time.",
            f"Wrong number, or the time no longer suits you? Reply with {cb.callback_id} and "
            "we'll rebook it.",
        ],
        outro=[_reply_hint(cb.callback_id)],
    )


def specialist_case_opened(case: CaseOut, *, to: str, name: str | None) -> Mail:
    facts = [
        ("Case number", case.case_number),
        ("About", human(case.kind).capitalize()),
        ("Opened", long_time(case.created_at)),
    ]
    if case.order_number:
        facts.insert(1, ("Order number", case.order_number))
    facts.append(("What you told us", case.description))
    return Mail(
        kind="specialist_case_opened",
        to=to,
        subject=f"We've opened case {case.case_number} with our specialist team",
        reference=case.case_number,
        greeting=greeting(name),
        intro=[
            "Thank you for bearing with us. We've passed your "
            f"{human(case.kind)} to our executive customer relations team: the specialists "
            "who can look into it properly and put it right.",
        ],
        facts=facts,
        next_steps=[
            "A specialist will review your case, with the notes from your chat, and reply to "
            "this email address. You won't need to explain it all again.",
            "Have photos, receipts or other details? Reply to this email with them attached "
            "(images or PDF); they'll be added to your case.",
        ],
        outro=[_reply_hint(case.case_number)],
        thread_of_case=case.case_number,
    )


def transcript(
    *,
    request_id: str,
    conversation_id: str,
    to: str,
    lines: Sequence[TranscriptLine],
) -> Mail:
    return Mail(
        kind="transcript",
        to=to,
        subject=f"Your Tierline chat transcript ({request_id})",
        reference=request_id,
        greeting=greeting(None),
        intro=[
            "As you asked, here is a copy of your chat with Tierline support, so you have "
            "everything in writing.",
        ],
        facts=[
            ("Transcript request", request_id),
            ("Conversation", conversation_id),
            ("Messages", str(len(lines))),
        ],
        next_steps=[
            "Nothing to do: keep this email for your records.",
            "Need more help? Start a new chat any time, or reply to this email.",
        ],
        transcript=lines,
        outro=[_reply_hint(request_id)],
    )


# ------------------------------------------------------------------ for the agent console
def refund_issued(
    *,
    to: str,
    name: str | None,
    order_number: str,
    refund_id: str,
    amount: Decimal,
    expected_by: date | None = None,
    method: str = "original_payment_method",
    currency: str = "USD",
) -> Mail:
    where = "your original payment method" if method == "original_payment_method" else human(method)
    when = f"by {long_date(expected_by)}" if expected_by else "within a few business days"
    facts = [
        ("Refund number", refund_id),
        ("Order number", order_number),
        ("Amount", money(amount, currency)),
        ("Refunded to", where),
    ]
    if expected_by:
        facts.append(("Expected by", long_date(expected_by)))
    return Mail(
        kind="refund_issued",
        to=to,
        subject=f"Your refund of {money(amount, currency)} is on its way ({refund_id})",
        reference=refund_id,
        greeting=greeting(name),
        intro=[
            f"We've issued a refund of {money(amount, currency)} for order {order_number}. "
            "Thank you for your patience while we sorted this out.",
        ],
        facts=facts,
        next_steps=[
            f"The money goes back to {where} and should arrive {when}.",
            "Banks sometimes take a few extra days to show it. If it hasn't appeared after "
            f"that, reply with {refund_id} and we'll chase it for you.",
        ],
        outro=[_reply_hint(refund_id)],
    )


def replacement_shipped(
    *,
    to: str,
    name: str | None,
    order_number: str,
    items: Sequence[str],
    carrier: str | None = None,
    tracking_number: str | None = None,
    estimated_delivery: date | None = None,
    replacement_order_number: str | None = None,
) -> Mail:
    reference = replacement_order_number or order_number
    facts = [("Original order", order_number)]
    if replacement_order_number:
        facts.append(("Replacement order", replacement_order_number))
    facts.append(("Items", ", ".join(items) or "-"))
    if carrier:
        facts.append(("Carrier", carrier))
    if tracking_number:
        facts.append(("Tracking number", tracking_number))
    if estimated_delivery:
        facts.append(("Expected delivery", long_date(estimated_delivery)))
    tracking = (
        f"You can follow it with {carrier or 'the carrier'} using tracking number "
        f"{tracking_number}."
        if tracking_number
        else "We'll email you the tracking number as soon as the carrier scans it."
    )
    return Mail(
        kind="replacement_shipped",
        to=to,
        subject=f"Your replacement for order {order_number} is on its way",
        reference=reference,
        greeting=greeting(name),
        intro=[
            f"We're sorry about the trouble with order {order_number}. We've sent you a "
            "replacement, at no cost to you.",
        ],
        facts=facts,
        next_steps=[
            tracking,
            "If we asked you to send the original item back, the return label is in a "
            "separate email; otherwise there is nothing you need to do.",
        ],
        outro=[_reply_hint(reference)],
    )


def promotional_certificate(
    *,
    to: str,
    name: str | None,
    code: str,
    value: str,
    reason: str | None = None,
    expires_at: datetime | None = None,
    min_spend: Decimal | None = None,
) -> Mail:
    """``value`` is what the certificate gives, in words: ``"$20 off"``, ``"15% off"``."""
    facts = [("Certificate code", code), ("Value", value)]
    if min_spend is not None:
        facts.append(("Minimum spend", money(min_spend)))
    if expires_at is not None:
        facts.append(("Use it by", long_time(expires_at)))
    intro = f"To say sorry{f' for {reason}' if reason else ''} and thank you for your patience, "
    return Mail(
        kind="promotional_certificate",
        to=to,
        subject=f"A thank-you from Tierline: {value} with code {code}",
        reference=code,
        greeting=greeting(name),
        intro=[intro + f"here is a certificate for {value} your next order."],
        facts=facts,
        next_steps=[
            f"Enter {code} at checkout; the discount shows before you pay.",
            "It's for you to use once; it can't be exchanged for cash.",
        ],
        outro=[_reply_hint(code)],
    )


# ------------------------------------------------------------------ rendering
def _speaker(sender: str) -> str:
    """``user``, ``bot``, ``system``, ``agent:<name>`` (a person in the web chat) or
    ``email:<who> (<case>)`` (a mail of a case's thread)."""
    if sender.startswith("email:"):
        return f"{sender.removeprefix('email:')} by email"
    if sender.startswith("agent:"):
        return sender.removeprefix("agent:") or "Agent"
    return {"user": "You", "bot": "Tierline", "system": "Notice"}.get(sender, "Tierline")


def _stamp(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at is not None else ""


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(
            line,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        if line
        else ""
        for line in text.splitlines() or [""]
    )


def render_text(mail: Mail) -> str:
    parts = [mail.greeting, *(_wrap(p) for p in mail.intro)]
    width = max((len(label) for label, _ in mail.facts), default=0)
    pad = "  " + " " * (width + 2)  # values line up, also when they wrap
    facts = "\n".join(
        "\n".join(
            textwrap.fill(
                (f"{label + ':':<{width + 1}} " if i == 0 else "") + line,
                WIDTH,
                initial_indent="  " if i == 0 else pad,
                subsequent_indent=pad,
                break_long_words=False,
                break_on_hyphens=False,
            )
            for i, line in enumerate(value.splitlines() or [""])
        )
        for label, value in mail.facts
    )
    parts.append("Keep these for your records:\n" + facts)
    bullets = "\n".join(
        textwrap.fill(
            step, WIDTH, initial_indent="  - ", subsequent_indent="    ", break_long_words=False
        )
        for step in mail.next_steps
    )
    parts.append("What happens next:\n" + bullets)
    if mail.transcript:
        lines = ["Your conversation:", ""]
        for line in mail.transcript:
            head = f"[{_stamp(line.at)}] " if line.at else ""
            lines.append(f"{head}{_speaker(line.sender)}:")
            if line.text:
                lines.append(_wrap(line.text, "    "))
            lines.extend(f"    Attached: {name} <{url}>" for name, url in line.files)
            lines.append("")
        parts.append("\n".join(lines).rstrip())
    parts.extend(_wrap(p) for p in mail.outro)
    parts.append(SIGNATURE)
    return "\n\n".join(parts) + "\n"


def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


def render_html(mail: Mail) -> str:
    body: list[str] = [f"<p>{_h(mail.greeting)}</p>"]
    body.extend(f"<p>{_h(p)}</p>" for p in mail.intro)
    body.append('<h3 style="margin:20px 0 8px">Keep these for your records</h3>')
    body.append('<table cellpadding="4" style="border-collapse:collapse">')
    body.extend(
        f'<tr><td style="color:#555;vertical-align:top;white-space:nowrap">{_h(label)}</td>'
        f"<td><strong>{_h(value)}</strong></td></tr>"
        for label, value in mail.facts
    )
    body.append("</table>")
    body.append('<h3 style="margin:20px 0 8px">What happens next</h3>')
    body.append("<ul>" + "".join(f"<li>{_h(s)}</li>" for s in mail.next_steps) + "</ul>")
    if mail.transcript:
        body.append('<h3 style="margin:20px 0 8px">Your conversation</h3>')
        for line in mail.transcript:
            colour = "#eef4ff" if line.sender == "user" else "#f4f4f4"
            stamp = f' <span style="color:#777">{_h(_stamp(line.at))}</span>' if line.at else ""
            body.append(
                f'<div style="background:{colour};border-radius:6px;padding:8px;margin:6px 0">'
                f"<strong>{_speaker(line.sender)}</strong>{stamp}<br>{_h(line.text)}"
                + "".join(
                    f'<br>Attached: <a href="{html.escape(url)}">{_h(name)}</a>'
                    for name, url in line.files
                )
                + "</div>"
            )
    body.extend(f"<p>{_h(p)}</p>" for p in mail.outro)
    body.append(f"<p>{_h(SIGNATURE)}</p>")
    return (
        '<!DOCTYPE html>\n<html><body style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:15px;line-height:1.45;color:#222;max-width:640px">\n'
        + "\n".join(body)
        + "\n</body></html>\n"
    )
