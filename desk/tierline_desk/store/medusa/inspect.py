"""What Medusa itself holds for one Tierline order, in plain lines (``cli medusa-order``).

For a person checking that what happened in the chat or the console happened in the store:
the order's status, its items, fulfilments and tracking, payments and refunds, returns and
claims, and the ``tierline_*`` metadata. It reads Medusa, never the desk's index.
"""

from __future__ import annotations

import json
from typing import Any

from .adapter import Snapshot

Json = dict[str, Any]


def _when(value: Any) -> str:
    return str(value)[:16].replace("T", " ") if value else "-"


def _order_lines(order: Json) -> list[str]:
    lines = [
        f"  status: {order.get('status')}"
        + (f" (canceled {_when(order['canceled_at'])})" if order.get("canceled_at") else ""),
        f"  email: {order.get('email')}",
    ]
    for item in order.get("items") or []:
        lines.append(
            f"  item: {item.get('variant_sku') or item.get('id')} x{item.get('quantity')}"
            f" {item.get('title')} at {item.get('unit_price')} {order.get('currency_code', '')}"
        )
    return lines


def _fulfilment_lines(order: Json) -> list[str]:
    lines = []
    for fulfilment in order.get("fulfillments") or []:
        tracking = ", ".join(
            f"{label.get('tracking_number')} {label.get('tracking_url') or ''}".strip()
            for label in fulfilment.get("labels") or []
        )
        lines.append(
            f"  fulfilment {fulfilment.get('id')}: shipped {_when(fulfilment.get('shipped_at'))},"
            f" delivered {_when(fulfilment.get('delivered_at'))}"
            + (
                f", canceled {_when(fulfilment['canceled_at'])}"
                if fulfilment.get("canceled_at")
                else ""
            )
            + (f", tracking {tracking}" if tracking else "")
        )
    return lines


def _payment_lines(order: Json) -> list[str]:
    lines = []
    payments = [
        p for pc in order.get("payment_collections") or [] for p in pc.get("payments") or []
    ]
    for payment in payments:
        captured = sum(float(c.get("amount") or 0) for c in payment.get("captures") or [])
        lines.append(
            f"  payment {payment.get('id')}: {payment.get('amount')}, captured {captured:g}"
            + (f", canceled {_when(payment['canceled_at'])}" if payment.get("canceled_at") else "")
        )
        for refund in payment.get("refunds") or []:
            lines.append(
                f"    refund {refund.get('id')}: {refund.get('amount')}"
                f" on {_when(refund.get('created_at'))}"
                + (f" ({refund['note']})" if refund.get("note") else "")
            )
    return lines


def _return_and_claim_lines(snap: Snapshot) -> list[str]:
    lines = []
    for ret in snap.returns:
        items = ", ".join(
            f"{i.get('item_id')} x{i.get('quantity')}" for i in ret.get("items") or []
        )
        rma = (ret.get("metadata") or {}).get("tierline_rma_number")
        lines.append(
            f"  return {ret.get('id')}: {ret.get('status')}"
            + (f", RMA {rma}" if rma else "")
            + (f", items {items}" if items else "")
        )
    for claim in snap.claims:
        items = ", ".join(
            f"{i.get('variant_sku') or i.get('item_id') or i.get('id')} x{i.get('quantity')}"
            for i in claim.get("additional_items") or []
        )
        lines.append(
            f"  claim {claim.get('id')}: type {claim.get('type')}"
            + (f", canceled {_when(claim['canceled_at'])}" if claim.get("canceled_at") else "")
            + (f", sends {items}" if items else "")
        )
    return lines


def describe(snap: Snapshot) -> list[str]:
    """The order as Medusa has it, one fact per line."""
    metadata = {
        k: v for k, v in (snap.order.get("metadata") or {}).items() if k.startswith("tierline_")
    }
    return [
        f"{snap.number or '(no Tierline number yet)'}: Medusa order {snap.id}",
        *_order_lines(snap.order),
        *_fulfilment_lines(snap.order),
        *_payment_lines(snap.order),
        *_return_and_claim_lines(snap),
        *(f"  metadata {key}: {json.dumps(value)}" for key, value in sorted(metadata.items())),
    ]
