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
CUSTOMER_FIELDS = "id,email,first_name,last_name,phone,metadata,created_at,*addresses"
PROMOTION_FIELDS = "id,code,status,metadata,*application_method,*rules,*rules.values,*campaign"


def stable_id(prefix: str, length: int, *parts: str) -> str:
    """A Tierline id (``RMA-XXXXXX``, ``RF-XXXXXXXX``) that is the same on every run."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest().upper()
    return f"{prefix}-{digest[:length]}"
