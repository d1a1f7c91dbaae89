// The action forms of a ticket: refund, certificate, reship, escalate, refer, hand back, resolve.
// Every form shows its result or error inline. Refund, certificate, reship and approve send an
// Idempotency-Key that is kept while the same submit is retried (see api.idempotencySlot).
// Authority is a budget per ticket and order (docs/authority.md): the limits box shows what is
// left on this ticket (GET .../budget); a refusal shows the amount still allowed and offers to
// escalate; supervisors and specialists can approve more for this ticket.

import { API, ApiError, api, idempotencySlot, seg } from "../api.js";
import {
  clearNotice, dateOnly, h, list, money, num, obj, parseAmount, setText, showNotice, str,
} from "../dom.js";

export const REFER_KINDS = [
  ["major_shipping_error", "Major shipping error"],
  ["trade_in_credit", "Trade-in credit"],
  ["recurring_delivery_problem", "Recurring delivery problem"],
  ["complaint", "Other"], // the API's catch-all case kind (CaseKind has no "other")
];

const MONEY_LABELS = { refund: "refund", certificate: "promotional certificate" };

/** "200.00" -> "up to $200.00", "unlimited" -> "unlimited", null/false -> null (not allowed). */
export function describeLimit(value) {
  if (value === null || value === undefined || value === false) return null;
  if (str(value).toLowerCase() === "unlimited") return "unlimited";
  return `up to ${money(value)}`;
}

/** The error to show; `idempotent` actions add that retrying is safe after a lost answer. */
function describeError(err, idempotent) {
  if (!(err instanceof ApiError)) return `Something went wrong: ${str(err && err.message)}`;
  if (idempotent && (err.status === 0 || err.status >= 500)) {
    return `${err.message} Submit again to retry; it will not be issued twice.`;
  }
  return err.message;
}

/**
 * Build the actions panel. `deps`: {ctx, number, onChanged(card?), getCard()}.
 * Returns {el, limitsEl, update(card, authority)}; authority is the /authority body,
 * null when it could not be loaded (then the server alone decides).
 */
export function createActions(deps) {
  const { ctx, number } = deps;
  const role = ctx.agent.role;
  const base = `${API}/tickets/${seg(number)}`;
  let card = {};
  let authority = null;

  // ---------------------------------------------------------------- shared form scaffolding

  function actionForm(name, title, wide) {
    const legend = h("legend", null, title);
    const why = h("p", { class: "why", testid: `${name}-why`, hidden: true });
    const body = h("div", { class: "action-body" });
    const submit = h("button", { type: "submit", class: "btn btn-primary", testid: `${name}-submit` }, title);
    const result = h("div", { class: "notice notice-ok", role: "status", "aria-live": "polite", testid: `${name}-result` });
    const error = h("div", { class: "notice notice-bad", role: "alert", testid: `${name}-error` });
    const fieldset = h("fieldset", { class: `action${wide ? " action-wide" : ""}` }, legend, why, body, h("div", null, submit), result, error);
    const form = h("form", { testid: `${name}-form`, novalidate: true, class: wide ? "action-wide" : "" }, fieldset);
    return { form, fieldset, why, body, submit, result, error, busy: false };
  }

  function setAllowed(f, allowed, reason) {
    f.fieldset.disabled = !allowed || f.busy;
    f.why.hidden = allowed || !reason;
    setText(f.why, allowed ? "" : reason);
  }

  async function run(f, label, fn) {
    if (f.busy) return;
    clearNotice(f.error);
    clearNotice(f.result);
    f.busy = true;
    f.fieldset.disabled = true;
    const original = f.submit.textContent;
    setText(f.submit, `${label}…`);
    try {
      await fn();
    } finally {
      f.busy = false;
      setText(f.submit, original);
      refreshGates();
    }
  }

  function input(testid, attrs) {
    return h("input", { type: "text", testid, autocomplete: "off", ...attrs });
  }

  function textarea(testid, attrs) {
    return h("textarea", { testid, rows: "2", maxlength: "2000", ...attrs });
  }

  function labelled(labelText, control, hint) {
    const id = `${control.getAttribute("data-testid")}-${number}`.replace(/[^A-Za-z0-9_-]/g, "-");
    control.id = id;
    const parts = [h("label", { for: id }, labelText), control];
    if (hint) {
      hint.id = `${id}-hint`;
      control.setAttribute("aria-describedby", hint.id);
      parts.push(hint);
    }
    return h("div", { class: "field" }, parts);
  }

  function invalid(f, control, message) {
    control.setAttribute("aria-invalid", "true");
    showNotice(f.error, "bad", message);
    control.focus();
  }

  function valid(...controls) {
    for (const c of controls) c.removeAttribute("aria-invalid");
  }

  /** On submit: `control`'s text is required (`missing` says so); then `send(text)` runs under
   * the busy `label`, and what goes wrong shows in the form's error box. */
  function onTextSubmit(f, control, missing, label, send) {
    f.form.addEventListener("submit", (event) => {
      event.preventDefault();
      valid(control);
      const text = control.value.trim();
      if (!text) return invalid(f, control, missing);
      return run(f, label, async () => {
        try {
          await send(text);
        } catch (err) {
          showNotice(f.error, "bad", describeError(err));
        }
      });
    });
  }

  /** On submit: `amount` must hold an amount of money (`example` shows one) and `control`'s text
   * is required (`missing` says so); then `send(value, text)` runs under the busy `label` (it
   * shows its own errors). */
  function onAmountSubmit(f, amount, example, control, missing, label, send) {
    f.form.addEventListener("submit", (event) => {
      event.preventDefault();
      valid(amount, control);
      const value = parseAmount(amount.value);
      if (value === null) return invalid(f, amount, `Enter an amount above 0 with at most 2 decimals, e.g. ${example}.`);
      const text = control.value.trim();
      if (!text) return invalid(f, control, missing);
      return run(f, label, () => send(value, text));
    });
  }

  // ---------------------------------------------------------------- escalate / refer (built first: money forms prefill them)

  const escalate = actionForm("escalate", "Escalate to supervisor");
  const escalateNote = textarea("escalate-note", { placeholder: "What the supervisor needs to know", rows: "3" });
  escalate.body.append(labelled("Note for the supervisor", escalateNote));
  onTextSubmit(escalate, escalateNote, "Write a note for the supervisor.", "Escalating", async (note) => {
    const out = await api.post(`${base}/escalate`, { note });
    escalateNote.value = "";
    showNotice(escalate.result, "ok", "Escalated: the ticket is waiting in the supervisors' queue (tier 2).");
    ctx.announce(`Ticket ${number} escalated to supervisors.`);
    deps.onChanged(obj(out).ticket_number ? out : null);
  });

  const refer = actionForm("refer", "Refer to Executive Customer Relations");
  const referKind = h("select", { testid: "refer-kind" },
    REFER_KINDS.map(([value, text]) => h("option", { value }, text)));
  const referNote = textarea("refer-note", { placeholder: "Why the specialists should take this", rows: "3" });
  refer.body.append(labelled("Kind", referKind), labelled("Note", referNote));
  onTextSubmit(refer, referNote, "Write a note for the specialist team.", "Referring", async (note) => {
    const out = obj(await api.post(`${base}/refer`, { note, kind: referKind.value }));
    const caseNumber = str(obj(out.case).case_number) || str(obj(out.ticket).referred_case_number);
    referNote.value = "";
    const caseEl = ctx.can("cases") && caseNumber
      ? h("a", { href: `#/cases/${encodeURIComponent(caseNumber)}`, testid: "refer-case", class: "mono" }, caseNumber)
      : h("span", { testid: "refer-case", class: "mono" }, caseNumber || "(no number)");
    showNotice(refer.result, "ok", "Referred: case ", caseEl, " opened for Executive Customer Relations; they answer by email.");
    ctx.announce(`Ticket ${number} referred, case ${caseNumber}.`);
    deps.onChanged(out.ticket && obj(out.ticket).ticket_number ? out.ticket : null);
  });

  /** Who takes it on above the agent's limit: supervisors (tier 1 tickets of non-supervisors)
   * or, for everything else, the Executive Customer Relations specialists. */
  function handOnByEscalating() {
    return num(card.tier) === 1 && role !== "supervisor";
  }

  /** After 403 above_authority: put a ready-made note in the escalate or the refer form. */
  function prefillHandOn(note) {
    if (handOnByEscalating()) {
      escalateNote.value = note;
      escalateNote.scrollIntoView({ block: "center", behavior: "smooth" });
      escalateNote.focus();
    } else {
      referKind.value = "complaint"; // "Other"
      referNote.value = note;
      referNote.scrollIntoView({ block: "center", behavior: "smooth" });
      referNote.focus();
    }
  }

  // ---------------------------------------------------------------- refund / certificate

  function moneyForm(kind, title) {
    const f = actionForm(kind, title);
    const slot = idempotencySlot();
    const limit = h("span", { class: "hint", testid: `${kind}-limit` });
    const amount = input(`${kind}-amount`, { inputmode: "decimal", placeholder: "0.00", maxlength: "16" });
    const reason = input(`${kind}-reason`, { maxlength: "2000", placeholder: "Why" });
    f.body.append(labelled("Amount (USD)", amount, limit), labelled("Reason", reason));
    f.limit = limit;
    onAmountSubmit(f, amount, "49.99", reason, "Give a reason.", "Sending", async (value, why) => {
      const body = { amount: value, reason: why };
      try {
        const out = obj(await api.post(`${base}/${kind}`, body, { idempotencyKey: slot.keyFor(body) }));
        slot.done();
        amount.value = "";
        reason.value = "";
        showNotice(f.result, "ok", ...moneyResult(kind, out));
        ctx.announce(`${title} done.`);
        loadBudget();
        deps.onChanged(null);
      } catch (err) {
        showMoneyError(f, kind, err, body);
      }
    });
    return f;
  }

  function moneyResult(kind, out) {
    const cur = str(obj(card.order).currency, "USD");
    if (kind === "refund") {
      const expected = out.expected_by ? `, expected by ${dateOnly(out.expected_by)}` : "";
      const method = out.method ? ` to the ${str(out.method).replace(/_/g, " ")}` : "";
      return [
        "Refund ", h("span", { class: "mono", testid: "refund-id" }, str(out.refund_id)),
        ` issued: ${money(out.amount, cur)}${method} (${str(out.status, "pending")})${expected}.`,
      ];
    }
    return [
      "Certificate ", h("span", { class: "mono", testid: "certificate-code" }, str(out.code)),
      ` for ${money(out.amount, cur)} issued to the customer.`,
    ];
  }

  /** The "still allowed" line and the Escalate (or Refer) button of a 403 above_authority. */
  function showAboveAuthority(f, kind, err, note) {
    const d = obj(err.detail);
    const left = d.left !== undefined && d.left !== null
      ? h("div", { testid: `${kind}-left`, class: "still-allowed" }, `Still allowed here: ${money(d.left)}`)
      : d.reships_left !== undefined
        ? h("div", { testid: `${kind}-left`, class: "still-allowed" }, `Reships left on this order: ${num(d.reships_left)}`)
        : "";
    const button = h(
      "button",
      { type: "button", class: "btn btn-small", testid: `${kind}-escalate` },
      handOnByEscalating() ? "Escalate to a supervisor" : "Refer to Executive Customer Relations",
    );
    button.addEventListener("click", () => prefillHandOn(note));
    showNotice(f.error, "bad", h("div", null, err.message), left, button);
    loadBudget();
  }

  function showMoneyError(f, kind, err, body) {
    if (err instanceof ApiError && err.code === "above_authority") {
      const d = obj(err.detail);
      const what = MONEY_LABELS[kind];
      const leftText = d.left !== undefined && d.left !== null ? money(d.left) : "nothing";
      const order = str(card.order_number, "this order");
      const note =
        `Please approve a ${what} of ${money(d.amount !== undefined ? d.amount : body.amount)} on order ${order}: ` +
        `my ${str(d.role, role)} authority has ${leftText} left on this ticket. Reason: ${body.reason}`;
      showAboveAuthority(f, kind, err, note);
      return;
    }
    if (err instanceof ApiError && err.code === "exceeds_refundable") {
      const left = obj(err.detail).refundable;
      showNotice(f.error, "bad", err.message, left !== undefined ? ` Refundable now: ${money(left)}.` : "");
      return;
    }
    showNotice(f.error, "bad", describeError(err, true));
  }

  const refund = moneyForm("refund", "Refund");
  const certificate = moneyForm("certificate", "Certificate");

  // ---------------------------------------------------------------- reship

  const reship = actionForm("reship", "Reship", true);
  const reshipSlot = idempotencySlot();
  const reshipItems = h("ul", { class: "reship-items", testid: "reship-items" });
  const reshipReason = input("reship-reason", { maxlength: "2000", placeholder: "Why" });
  let reshipSkus = "";
  reship.body.append(
    h("div", { class: "field" }, h("span", { class: "label", id: `reship-items-label-${number}` }, "Items to send again"), reshipItems),
    labelled("Reason", reshipReason),
  );
  reshipItems.setAttribute("aria-labelledby", `reship-items-label-${number}`);

  function buildReshipItems(order) {
    const items = list(order.items).map(obj);
    const skus = items.map((i) => `${str(i.sku)}:${num(i.quantity)}`).join("|");
    if (skus === reshipSkus) return;
    reshipSkus = skus;
    reshipItems.replaceChildren(
      ...items.map((item, index) => {
        const sku = str(item.sku);
        const max = Math.max(1, num(item.quantity, 1));
        const id = `reship-${number}-${index}`.replace(/[^A-Za-z0-9_-]/g, "-");
        const box = h("input", { type: "checkbox", id, testid: "reship-item", dataset: { sku } });
        const qty = h("input", {
          type: "number", min: "1", max: String(max), step: "1", value: "1", disabled: true,
          testid: "reship-quantity", dataset: { sku }, "aria-label": `Quantity of ${str(item.name, sku)} (at most ${max})`,
        });
        box.addEventListener("change", () => {
          qty.disabled = !box.checked;
        });
        return h("li", { dataset: { sku } }, box,
          h("label", { for: id }, str(item.name, sku), h("span", { class: "muted small" }, ` · ${sku} · ordered ${max}`)),
          qty);
      }),
    );
    if (items.length === 0) reshipItems.append(h("li", { class: "muted" }, "The order has no items."));
  }

  reship.form.addEventListener("submit", (event) => {
    event.preventDefault();
    valid(reshipReason);
    const chosen = [];
    for (const box of reshipItems.querySelectorAll('input[type="checkbox"]')) {
      if (!box.checked) continue;
      const qty = reshipItems.querySelector(`input[type="number"][data-sku="${CSS.escape(box.dataset.sku)}"]`);
      const quantity = Number(qty ? qty.value : 1);
      const max = Number(qty ? qty.max : 1);
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > max) {
        if (qty) return invalid(reship, qty, `Quantity for ${box.dataset.sku} must be 1 to ${max}.`);
      }
      chosen.push({ sku: box.dataset.sku, quantity });
    }
    if (chosen.length === 0) {
      showNotice(reship.error, "bad", "Pick at least one item to reship.");
      const first = reshipItems.querySelector("input");
      if (first) first.focus();
      return undefined;
    }
    const why = reshipReason.value.trim();
    if (!why) return invalid(reship, reshipReason, "Give a reason.");
    const body = { items: chosen, reason: why };
    return run(reship, "Sending", async () => {
      try {
        const out = obj(await api.post(`${base}/reship`, body, { idempotencyKey: reshipSlot.keyFor(body) }));
        reshipSlot.done();
        reshipReason.value = "";
        for (const box of reshipItems.querySelectorAll('input[type="checkbox"]')) box.checked = false;
        for (const qty of reshipItems.querySelectorAll('input[type="number"]')) {
          qty.value = "1";
          qty.disabled = true;
        }
        const what = list(out.items).map(obj).map((i) => `${num(i.quantity, 1)} × ${str(i.name, str(i.sku))}`).join(", ");
        showNotice(reship.result, "ok", "Reship ", h("span", { class: "mono", testid: "reship-id" }, str(out.reship_id)),
          ` ${str(out.status, "requested")}: ${what}.`);
        ctx.announce("Reship requested.");
        loadBudget();
        deps.onChanged(null);
      } catch (err) {
        if (err instanceof ApiError && err.code === "above_authority") {
          const order = str(card.order_number, "this order");
          showAboveAuthority(reship, "reship", err,
            `Please approve another reship of order ${order}: my ${role} authority has no reships left on it. Reason: ${why}`);
        } else {
          showNotice(reship.error, "bad", describeError(err, true));
        }
      }
    });
  });

  // ---------------------------------------------------------------- hand back / resolve

  function outcomeForm(name, title, path, labelText, done) {
    const f = actionForm(name, title);
    const outcome = textarea(`${name}-outcome`, { placeholder: "What was done for the shopper" });
    f.body.append(labelled(labelText, outcome));
    onTextSubmit(f, outcome, "Describe the outcome.", "Sending", async (text) => {
      const out = obj(await api.post(`${base}/${path}`, { outcome: text }));
      outcome.value = "";
      showNotice(f.result, "ok", done);
      ctx.announce(done);
      deps.onChanged(out.ticket_number ? out : null);
    });
    return f;
  }

  const handback = outcomeForm("handback", "Hand back to the bot", "handback", "Outcome (the bot tells the shopper)",
    "Handed back: the bot has the conversation again.");
  const resolve = outcomeForm("resolve", "Resolve", "resolve", "Outcome", "Resolved.");

  // ---------------------------------------------------------------- approve more (supervisors, specialists)

  const approver = role === "supervisor" || role === "specialist";
  const approve = actionForm("approve", "Approve more for this ticket");
  const approveSlot = idempotencySlot();
  const approveAmount = input("approve-amount", { inputmode: "decimal", placeholder: "0.00", maxlength: "16" });
  const approveNote = textarea("approve-note", { placeholder: "Why this ticket needs more" });
  approve.body.append(
    labelled("Extra amount (USD), this ticket only", approveAmount),
    labelled("Note (kept in the audit log)", approveNote),
  );
  onAmountSubmit(approve, approveAmount, "300.00", approveNote, "Write a note for the audit log.", "Approving", async (value, note) => {
    const body = { amount: value, note };
    try {
      const out = obj(await api.post(`${base}/approve`, body, { idempotencyKey: approveSlot.keyFor(body) }));
      approveSlot.done();
      approveAmount.value = "";
      approveNote.value = "";
      showNotice(approve.result, "ok",
        `Approved ${money(out.amount)} more for ticket ${number} (approved in total: ${money(out.approved_total)}).`);
      ctx.announce("Approval recorded.");
      loadBudget();
    } catch (err) {
      showNotice(approve.error, "bad", describeError(err, true));
    }
  });

  // ---------------------------------------------------------------- limits and gating

  const limitRefund = h("span", { class: "limit-value", testid: "authority-refund" }, "…");
  const limitCertificate = h("span", { class: "limit-value", testid: "authority-certificate" }, "…");
  const limitReship = h("span", { class: "limit-value", testid: "authority-reship" }, "…");
  const limitLeft = h("span", { class: "limit-value", testid: "authority-left" }, "…");
  const limitsNote = h("p", { class: "hint", testid: "authority-note", hidden: true });
  const limitsEl = h("div", { class: "limits-box", testid: "authority-limits", "aria-label": "Your authority limits" },
    h("div", { class: "limits" },
      h("span", null, h("span", { class: "limit-name" }, "Refund: "), limitRefund),
      h("span", null, h("span", { class: "limit-name" }, "Certificate: "), limitCertificate),
      h("span", null, h("span", { class: "limit-name" }, "Reship: "), limitReship),
      h("span", null, h("span", { class: "limit-name" }, "Left on this ticket: "), limitLeft)),
    limitsNote);

  let budget = null; // GET .../budget: what is left here (null: not loaded)
  let budgetLoading = false;

  async function loadBudget() {
    if (budgetLoading || !card.ticket_number || !(card.order && obj(card.order).order_number)) return;
    budgetLoading = true;
    try {
      budget = obj(await api.get(`${base}/budget`));
    } catch (_err) {
      budget = null;
    } finally {
      budgetLoading = false;
    }
    renderBudget();
  }

  function renderBudget() {
    if (budget === null) {
      setText(limitLeft, "?");
      return;
    }
    const left = str(budget.left);
    const approved = num(budget.approved, 0) > 0 ? ` (incl. ${money(budget.approved)} approved)` : "";
    const reships = budget.reships_left === null || budget.reships_left === undefined
      ? "" : `; reships left: ${num(budget.reships_left)}`;
    setText(limitLeft, (left === "unlimited" ? "unlimited" : money(left)) + approved + reships);
  }

  function budgetText(value) {
    const text = describeLimit(value);
    return text === null ? "nothing" : text === "unlimited" ? "unlimited" : money(value);
  }

  function renderLimits() {
    if (authority === undefined) return;
    if (authority === null) {
      for (const el of [limitRefund, limitCertificate, limitReship]) setText(el, "?");
      limitsNote.hidden = false;
      setText(limitsNote, "Your limits could not be loaded; the desk still checks every action.");
      return;
    }
    limitsNote.hidden = true;
    setText(limitRefund, describeLimit(authority.refund) || "not permitted");
    setText(limitCertificate, describeLimit(authority.certificate) || "not permitted");
    setText(limitReship, authority.reship === true ? "allowed" : authority.reship === false ? "not permitted" : "?");
    if (authority.budget !== undefined) {
      setText(limitRefund, `${describeLimit(authority.refund) || "not permitted"} each`);
      limitsNote.hidden = false;
      setText(limitsNote,
        `Refunds plus certificates add up: at most ${budgetText(authority.budget)} per ticket and per order, ` +
        `${budgetText(authority.daily)} per day.`);
    }
  }

  function refreshGates() {
    const status = str(card.status);
    const claimedBy = str(card.claimed_by);
    const mine = status === "claimed" && claimedBy === ctx.agent.username;
    const canAct = status === "claimed" && (mine || role === "supervisor");
    let notActing = "";
    if (!card.ticket_number) notActing = "Loading the ticket…";
    else if (status === "waiting") notActing = "Claim this ticket to act on it.";
    else if (status === "claimed" && !canAct) notActing = `Claimed by ${claimedBy || "another agent"}.`;
    else if (status === "resolved") notActing = "This ticket is resolved.";
    else if (status === "referred") notActing = `Referred to case ${str(card.referred_case_number, "")}.`;
    else if (!canAct) notActing = `This ticket is ${status || "not available"}.`;
    const hasOrder = Boolean(card.order && obj(card.order).order_number);
    const noOrder = "This ticket is not about a known order.";
    const known = authority !== null && authority !== undefined;

    for (const [f, key] of [[refund, "refund"], [certificate, "certificate"]]) {
      const lim = known ? describeLimit(authority[key]) : null;
      const permitted = !known || lim !== null;
      setText(f.limit, known ? (lim ? `Your limit: ${lim} per ${MONEY_LABELS[key]}.` : "") : "");
      const reason = !canAct ? notActing : !permitted ? `Your role (${role}) may not issue a ${MONEY_LABELS[key]}.` : !hasOrder ? noOrder : "";
      setAllowed(f, canAct && permitted && hasOrder, reason);
    }
    const reshipOk = !known || authority.reship !== false;
    setAllowed(reship, canAct && reshipOk && hasOrder,
      !canAct ? notActing : !reshipOk ? `Your role (${role}) may not reship.` : !hasOrder ? noOrder : "");
    const tier1 = num(card.tier) === 1;
    setAllowed(escalate, canAct && tier1, !canAct ? notActing : "Already with supervisors: refer it to the specialists instead.");
    setAllowed(refer, canAct, notActing);
    setAllowed(handback, canAct, notActing);
    setAllowed(resolve, canAct, notActing);
    const open = status === "waiting" || status === "claimed";
    approve.form.hidden = !approver;
    setAllowed(approve, approver && open && hasOrder, !open ? notActing : noOrder);
  }

  const el = h("section", { class: "panel", testid: "ticket-actions", "aria-labelledby": `actions-title-${number}` },
    h("h2", { id: `actions-title-${number}` }, "Actions"),
    limitsEl,
    h("div", { class: "actions-grid" },
      refund.form, certificate.form, reship.form, escalate.form, refer.form, handback.form, resolve.form,
      approve.form));

  authority = undefined;
  refreshGates();

  return {
    el,
    update(newCard, newAuthority) {
      const firstCard = !card.ticket_number && obj(newCard).ticket_number;
      card = obj(newCard);
      authority = newAuthority;
      renderLimits();
      if (firstCard) loadBudget();
      if (card.order) buildReshipItems(obj(card.order));
      refreshGates();
    },
  };
}
