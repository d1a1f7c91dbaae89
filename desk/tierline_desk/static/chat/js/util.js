// Small value helpers: ids, strings from the server, character counts, the desk's replies.

export function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  // randomUUID needs a secure context; getRandomValues works everywhere.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return (
    hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
    hex.slice(16, 20) + "-" + hex.slice(20)
  );
}

export function str(value) {
  return typeof value === "string" ? value : null;
}

export function charCount(text) {
  return Array.from(text).length; // code points, as the server counts them
}

/** A reply's JSON body, or null; and the message of the desk's error shape, if any. */
export async function readReply(response) {
  let data = null;
  try {
    data = await response.json();
  } catch (_err) {
    data = null;
  }
  const detail = data && data.detail;
  const message = detail && typeof detail === "object" ? str(detail.message) : str(detail);
  return { data: data, message: message };
}
