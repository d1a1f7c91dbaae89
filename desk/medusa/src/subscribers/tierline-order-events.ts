// Tells Tierline's desk that an order changed, so its index re-reads the order from Medusa
// (docs/store-medusa.md, "Events"). The desk also polls, so a lost notice only costs freshness:
// nothing here may ever fail or slow down Medusa's own flow.
//
// POST TIERLINE_EVENTS_URL  {"event": <name>, "id": <the id Medusa emitted>, "order_id": <the
// order's id, or null when it could not be found>}
// X-Tierline-Signature: sha256=<hex HMAC-SHA256 of the exact body, key TIERLINE_EVENTS_SECRET>
import { createHmac } from "node:crypto"

import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

// Every event of Medusa 2.21 that changes what the bot tells a shopper about an order (names
// from @medusajs/utils' core-flows/events: OrderWorkflowEvents, OrderEditWorkflowEvents,
// FulfillmentWorkflowEvents, PaymentEvents).
export const TIERLINE_EVENTS = [
  "order.placed",
  "order.updated", // address, email, metadata (Tierline's carrier facts)
  "order.canceled",
  "order.completed",
  "order.archived",
  "order.fulfillment_created",
  "order.fulfillment_canceled",
  "order.return_requested",
  "order.return_received",
  "order.claim_created",
  "order.exchange_created",
  "order.transfer_requested",
  "order-edit.confirmed", // quantities changed, lines added or removed
  "shipment.created", // data.id: the fulfillment's
  "delivery.created", // data.id: the fulfillment's
  "payment.captured", // data.id: the payment's
  "payment.refunded", // data.id: the payment's
] as const

const TIMEOUT_MS = 2000

type EventData = { id?: unknown; order_id?: unknown }

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null
}

async function orderIdOf(
  name: string,
  data: EventData,
  container: SubscriberArgs["container"]
): Promise<string | null> {
  const direct = text(data.order_id)
  if (direct) {
    return direct
  }
  const id = text(data.id)
  if (!id) {
    return null
  }
  if (name.startsWith("order.")) {
    return id
  }
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  if (name === "shipment.created" || name === "delivery.created") {
    const { data: rows } = await query.graph({
      entity: "fulfillment",
      fields: ["id", "order.id"],
      filters: { id },
    })
    return text(rows[0]?.order?.id)
  }
  if (name.startsWith("payment.")) {
    const { data: rows } = await query.graph({
      entity: "payment",
      fields: ["id", "payment_collection.order.id"],
      filters: { id },
    })
    return text(rows[0]?.payment_collection?.order?.id)
  }
  return null
}

export default async function tierlineOrderEvents({
  event,
  container,
}: SubscriberArgs<EventData>): Promise<void> {
  const url = process.env.TIERLINE_EVENTS_URL
  if (!url) {
    return
  }
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const secret = process.env.TIERLINE_EVENTS_SECRET
  if (!secret) {
    logger.warn("tierline: TIERLINE_EVENTS_URL is set without TIERLINE_EVENTS_SECRET; not sent")
    return
  }
  const data: EventData = event.data ?? {}
  try {
    let orderId: string | null = null
    try {
      orderId = await orderIdOf(event.name, data, container)
    } catch {
      orderId = null // the desk finds it by polling
    }
    const body = JSON.stringify({
      event: event.name,
      id: text(data.id) ?? orderId,
      order_id: orderId,
    })
    const signature = createHmac("sha256", secret).update(body).digest("hex")
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Tierline-Signature": `sha256=${signature}`,
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    if (!response.ok) {
      logger.warn(`tierline: the desk answered ${response.status} to ${event.name}`)
    }
  } catch (error) {
    // Down, slow or refusing: the desk's poll catches up. Never rethrown.
    const reason = error instanceof Error ? error.name : "error"
    logger.warn(`tierline: ${event.name} not delivered to the desk (${reason})`)
  }
}

export const config: SubscriberConfig = {
  event: [...TIERLINE_EVENTS],
  context: { subscriberId: "tierline-order-events" },
}
