"""What Tierline keeps in Medusa beyond Medusa's own fields: the ``tierline_*`` metadata keys.

One list for the seeder (``seed.py``), the mapping to the desk's index rows (``mapping.py``)
and the adapter; docs/store-medusa.md explains each key and what each demo state is in Medusa.
"""

from __future__ import annotations

import hashlib

# ---- on an order (``order.metadata``)
ORDER_NUMBER = "tierline_order_number"  # "112-4839201-5573910"
CUSTOMER_ID = "tierline_customer_id"  # the demo's customer id, "C-1001" (also on the customer)
CARRIER = "tierline_carrier"  # "UPS", "FedEx", "USPS"
CARRIER_STATUS = "tierline_carrier_status"  # one of CARRIER_STATES, while in transit
LAST_SCAN = "tierline_last_scan"  # {"at", "location", "description"}
ESTIMATED_DELIVERY = "tierline_estimated_delivery"  # "YYYY-MM-DD"
TIMELINE = "tierline_timeline"  # {"placed_at", "shipped_at", "delivered_at", "cancelled_at"}
TRADE_IN = "tierline_trade_in"  # {"device", "quoted_credit", "status"}
REFUNDS = "tierline_refunds"  # [{"refund_id", "amount", "status", "method", "created_at",
#                                  "expected_by", "store_ref"}]

# ---- on a product, its variant and the order's line items
SKU = "tierline_sku"
RETURNABLE = "tierline_returnable"  # False: final sale (absent: returnable)
# On a line item: its place in the order as placed (0, 1, ...). A cart's lines share one
# created_at and Medusa lists them in no particular order; absent: after those that have one.
POSITION = "tierline_position"

# ---- on a return (``return.metadata``); one Medusa return per returned line
RMA_NUMBER = "tierline_rma_number"  # "RMA-LW4E20"
RETURN_SKU = "tierline_sku"
RETURN_REASON = "tierline_reason"  # the shopper's words
RETURN_CREATED_AT = "tierline_created_at"
RETURN_BY = "tierline_return_by"  # "YYYY-MM-DD": the parcel is due back by then
RETURN_CARRIER = "tierline_carrier"

# ---- on a promotion
PROMO_DESCRIPTION = "tierline_description"
MIN_SPEND = "tierline_min_spend"  # "25.00"; Medusa enforces it too (rule item_total gte)

# ---- what the desk's writes leave in Medusa (adapter.py)
# The write's idempotency key (store/keys.py) on what it made: a return, a claim (reship), a
# certificate's promotion; an order's cancellation. Refunds have no metadata: the key goes in
# the refund's note, in brackets (REFUND_KEY_NOTE). Order edits keep no metadata either: their
# description is "Tierline <key>" (CHANGE_DESCRIPTION).
IDEMPOTENCY_KEY = "tierline_idempotency_key"
CANCEL = "tierline_cancel"  # on an order: {"key", "reason", "at"}, written before the cancel
NOTE = "tierline_note"  # on a claim or a certificate's promotion: the ticket and the reason
# (a certificate's promotion also carries ORDER_NUMBER and CUSTOMER_ID: whose it is, and why)
CHANGE_DESCRIPTION = "Tierline {key}"
REFUND_KEY_NOTE = "[{key}]"
# A certificate's promotion sits in a campaign of its own, found by this identifier (a digest
# of the key: Medusa lists campaigns by identifier, not promotions by metadata).
CERTIFICATE_CAMPAIGN = "tierline-cert-{digest}"

# The demo's states Medusa has no state for: a shipment the carrier reports on.
CARRIER_STATES = ("out_for_delivery", "delayed", "lost")
# As the importer does (importer._order_row): a return is due back 14 days after it was opened,
# and returns travel back with UPS.
RETURN_DAYS = 14
RETURN_CARRIER_NAME = "UPS"

# Everything Tierline reads of an order in one call (GET /admin/orders/{id}?fields=...).
ORDER_FIELDS = ",".join(
    (
        "id",
        "status",
        "email",
        "currency_code",
        "customer_id",
        "created_at",
        "canceled_at",
        "updated_at",
        "version",
        "metadata",
        "*items",
        "*shipping_address",
        "*fulfillments",
        "*fulfillments.labels",
        "*payment_collections",
        "*payment_collections.payments",
        "*payment_collections.payments.captures",
        "*payment_collections.payments.refunds",
    )
)
RETURN_FIELDS = "*items"
# A claim's outbound (replacement) items become order items too: the index leaves them out.
CLAIM_FIELDS = "id,order_id,type,metadata,canceled_at,created_at,*additional_items"
CUSTOMER_FIELDS = "id,email,first_name,last_name,phone,metadata,created_at,*addresses"
PROMOTION_FIELDS = "id,code,status,metadata,*application_method,*rules,*rules.values,*campaign"


def stable_id(prefix: str, length: int, *parts: str) -> str:
    """A Tierline id (``RMA-XXXXXX``, ``RF-XXXXXXXX``) that is the same on every run."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest().upper()
    return f"{prefix}-{digest[:length]}"
