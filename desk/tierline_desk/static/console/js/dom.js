// DOM and formatting helpers. Data is only ever put into the page as text (textContent /
// text nodes): shoppers can type HTML, and it must show up as the characters they typed.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "open", "readOnly"]);

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * h("button", {class: "btn", testid: "claim-button", onclick: fn}, "Claim")
 * - `testid` sets data-testid, `dataset` sets data-* attributes, `on<event>` adds a listener;
 * - value/checked/disabled/hidden/... are set as properties, everything else as attributes;
 * - children are nodes or text (strings and numbers become text nodes, never HTML).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === null || value === undefined) continue;
      if (name === "class") el.className = value;
      else if (name === "testid") el.setAttribute("data-testid", value);
      else if (name === "dataset") {
        for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
      } else if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (PROPERTIES.has(name)) el[name] = value;
      else if (value === false) continue;
      else el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  appendChildren(el, children);
  return el;
}

/** Replace all children of `el` with `children` (nodes or text). */
export function replace(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

/** Set the text of an element only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

/**
 * Keyed list update: reuse the element of each key (so focus, open <details> and typed input
 * survive a refresh), create the new ones, drop the gone ones, keep the order of `items`.
 */
export function syncList(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of Array.from(container.children)) {
    if (child.dataset && child.dataset.key !== undefined) existing.set(child.dataset.key, child);
    else child.remove();
  }
  let previous = null;
  items.forEach((item, index) => {
    const key = String(keyOf(item, index));
    let el = existing.get(key);
    if (el) existing.delete(key);
    else {
      el = create(item);
      el.dataset.key = key;
    }
    update(el, item);
    const wanted = previous ? previous.nextSibling : container.firstChild;
    if (el !== wanted) container.insertBefore(el, wanted);
    previous = el;
  });
  for (const el of existing.values()) el.remove();
}

export function showNotice(el, kind, ...children) {
  el.className = `notice notice-${kind}`;
  replace(el, ...children);
}

export function clearNotice(el) {
  el.replaceChildren();
}

// ------------------------------------------------------------------ safe field access

export function str(value, fallback = "") {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fallback;
}

export function num(value, fallback = 0) {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

export function obj(value) {
  return value && typeof value === "object" && !Array.isArray(value) ? value : {};
}

export function list(value, ...keys) {
  if (Array.isArray(value)) return value;
  const o = obj(value);
  for (const key of keys) if (Array.isArray(o[key])) return o[key];
  return [];
}

// ------------------------------------------------------------------ formatting

const moneyFormats = new Map();

export function money(value, currency = "USD") {
  const n = num(value, NaN);
  if (!Number.isFinite(n)) return str(value, "—") || "—";
  const cur = /^[A-Z]{3}$/.test(str(currency)) ? currency : "USD";
  if (!moneyFormats.has(cur)) {
    moneyFormats.set(cur, new Intl.NumberFormat("en-US", { style: "currency", currency: cur }));
  }
  return moneyFormats.get(cur).format(n);
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(num(seconds, 0)));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function parseDate(value) {
  if (typeof value !== "string" || !value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function dateTime(value) {
  const d = parseDate(value);
  if (!d) return "—";
  return d.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export function timeOnly(value) {
  const d = parseDate(value);
  if (!d) return "";
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function dateOnly(value) {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split("-").map(Number);
    return new Date(y, m - 1, d).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }
  const d = parseDate(value);
  return d ? d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : "—";
}

/** "damaged_item" -> "Damaged item"; free text is left alone. */
export function humanize(value) {
  const s = str(value);
  if (/^[a-z0-9]+(_[a-z0-9]+)+$/.test(s) || /^[a-z]+$/.test(s)) {
    const words = s.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  return s;
}

/** The best short name for a customer dict ({name, email, id}) and an optional order summary. */
export function customerName(customer, order) {
  const c = obj(customer);
  return str(c.name) || str(obj(order).customer_name) || str(c.email) || str(c.id) || "Unknown customer";
}

/** Local "YYYY-MM-DDTHH:MM" for a datetime-local input. */
export function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Amount typed by an agent: "49.99", "50", "1,250.00" -> "49.99" / "50.00" / "1250.00", or null. */
export function parseAmount(text) {
  const cleaned = str(text).trim().replace(/[$,\s]/g, "");
  if (!/^\d{1,10}(\.\d{1,2})?$/.test(cleaned)) return null;
  const n = Number(cleaned);
  if (!(n > 0)) return null;
  return n.toFixed(2);
}

/**
 * Run `fn` now and then `intervalMs` after each run finishes (never two runs at once); with
 * `intervalMs` null only when now() asks (the live console pushes what changed).
 * Returns {stop(), now()}; now() runs it at once (or right after the run in flight).
 */
export function poll(fn, intervalMs) {
  let stopped = false;
  let running = false;
  let again = false;
  let timer = null;
  async function tick() {
    if (stopped) return;
    running = true;
    try {
      await fn();
    } catch (_err) {
      // each poller shows its own errors; keep polling
    }
    running = false;
    if (stopped) return;
    const wait = again ? 0 : typeof intervalMs === "function" ? intervalMs() : intervalMs;
    again = false;
    if (wait !== null) timer = window.setTimeout(tick, wait);
  }
  tick();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
    now() {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      window.clearTimeout(timer);
      tick();
    },
  };
}
