// The conversation id and token in localStorage, so a reload resumes the same chat.

import { STORAGE_KEY } from "./config.js";

export function loadStored() {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw);
    if (value && typeof value.conversation_id === "string" && typeof value.token === "string") {
      return { conversation_id: value.conversation_id, token: value.token };
    }
  } catch (_err) {
    // storage blocked or garbage: start afresh
  }
  return null;
}

export function saveStored(conversationId, token) {
  try {
    window.localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ conversation_id: conversationId, token: token })
    );
  } catch (_err) {
    // storage blocked: the conversation just won't survive a reload
  }
}

export function clearStored() {
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch (_err) {
    // nothing to do
  }
}
