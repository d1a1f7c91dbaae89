// The console JSON API (/console/api): session cookie, CSRF header on every POST, and the
// desk's one error shape {"detail": {"code", "message", ...extra}} turned into ApiError.

export const API = "/console/api";

let csrfToken = "";
let unauthorizedHandler = null;

/** An answer that was not 2xx, or no answer at all (status 0, code "network_error"). */
export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail || {};
  }
}

export function setCsrfToken(token) {
  csrfToken = typeof token === "string" ? token : "";
}

/** Called (once per failing request) when the server says the session is gone (401). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function errorFrom(status, data) {
  const raw = data && typeof data === "object" ? data.detail : undefined;
  const detail = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const code = typeof detail.code === "string" ? detail.code : `http_${status}`;
  let message = typeof detail.message === "string" ? detail.message : "";
  if (!message && typeof raw === "string") message = raw;
  if (!message) message = `The desk answered ${status}. Try again.`;
  return new ApiError(status, code, message, detail);
}

async function send(method, path, options) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (options.signal) init.signal = options.signal;

  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "Cannot reach the desk. Check the connection and try again.");
  }
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_err) {
        data = null;
      }
    }
  }
  if (!response.ok) throw errorFrom(response.status, data);
  return data;
}

async function request(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // The CSRF token can be stale (a login in another tab): fetch the current one and retry
    // once. A failed CSRF check changes nothing, so the retry is safe (money actions also keep
    // their Idempotency-Key).
    if (err.code === "csrf_failed" && method !== "GET" && !options.retried) {
      try {
        const me = await send("GET", `${API}/me`, {});
        if (me && typeof me.csrf_token === "string") {
          setCsrfToken(me.csrf_token);
          return await request(method, path, { ...options, retried: true });
        }
      } catch (_meErr) {
        // fall through to the 401 handling / original error
      }
    }
    if (err.status === 401 && !options.quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
}

export const api = {
  get(path, options) {
    return request("GET", path, options);
  },
  post(path, body, options) {
    return request("POST", path, { ...(options || {}), body: body === undefined ? {} : body });
  },
};

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; fall back to a v4 UUID). */
export function newIdempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function" && window.isSecureContext) {
    return window.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One Idempotency-Key per user action: the same body (a retry of the same submit) reuses the
 * key, a changed body gets a new one, and done() forgets it after a success.
 */
export function idempotencySlot() {
  let key = null;
  let fingerprint = null;
  return {
    keyFor(body) {
      const fp = JSON.stringify(body);
      if (key === null || fp !== fingerprint) {
        key = newIdempotencyKey();
        fingerprint = fp;
      }
      return key;
    },
    done() {
      key = null;
      fingerprint = null;
    },
  };
}

/** The path segment for a ticket, case or mail id. */
export function seg(value) {
  return encodeURIComponent(String(value));
}
