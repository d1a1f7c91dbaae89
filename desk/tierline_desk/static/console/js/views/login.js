// Login: username + password -> POST /console/api/login (the server sets the session cookie).

import { API, ApiError, api } from "../api.js";
import { h, showNotice, clearNotice, setText, str } from "../dom.js";

export function mount(root, { message, onLoggedIn }) {
  const username = h("input", {
    type: "text", id: "login-username", name: "username", autocomplete: "username",
    required: true, maxlength: "64", testid: "login-username", autocapitalize: "none", spellcheck: "false",
  });
  const password = h("input", {
    type: "password", id: "login-password", name: "password", autocomplete: "current-password",
    required: true, maxlength: "1024", testid: "login-password",
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary", testid: "login-submit" }, "Log in");
  const error = h("div", { class: "notice notice-bad", role: "alert", testid: "login-error", id: "login-error" });
  const info = h("div", { class: "notice notice-info", role: "status", testid: "login-message" }, message || "");

  let busy = false;
  async function onSubmit(event) {
    event.preventDefault();
    if (busy) return;
    clearNotice(error);
    const user = username.value.trim();
    if (!user || !password.value) {
      showNotice(error, "bad", "Enter your username and password.");
      (user ? password : username).focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    setText(submit, "Logging in…");
    try {
      const body = await api.post(`${API}/login`, { username: user, password: password.value }, { quiet401: true });
      password.value = "";
      onLoggedIn(body);
    } catch (err) {
      const text =
        err instanceof ApiError
          ? err.status === 422
            ? "Enter your username and password."
            : err.message
          : `Login failed: ${str(err && err.message)}`;
      showNotice(error, "bad", text);
      password.value = "";
      password.focus();
    } finally {
      busy = false;
      submit.disabled = false;
      setText(submit, "Log in");
    }
  }

  const form = h(
    "form",
    { class: "panel login-card", testid: "login-form", novalidate: true, onsubmit: onSubmit, "aria-describedby": "login-error" },
    h("h1", { tabindex: "-1" }, "Log in to the desk"),
    info,
    h("div", { class: "field" }, h("label", { for: "login-username" }, "Username"), username),
    h("div", { class: "field" }, h("label", { for: "login-password" }, "Password"), password),
    error,
    submit,
  );
  root.replaceChildren(h("section", { class: "login-wrap", testid: "login-screen" }, form));
  username.focus();
  return () => {};
}
