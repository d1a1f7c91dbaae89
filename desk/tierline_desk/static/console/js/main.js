// The agent console: session, header, navigation, hash routes, the live socket and the heartbeat.

import { API, ApiError, api, onUnauthorized, setCsrfToken } from "./api.js";
import { h, replace, setText, str, obj } from "./dom.js";
import * as live from "./live.js";
import * as analyticsView from "./views/analytics.js";
import * as assignView from "./views/assign.js";
import * as callbacksView from "./views/callbacks.js";
import * as casesView from "./views/cases.js";
import * as loginView from "./views/login.js";
import * as macrosView from "./views/macros.js";
import { startNotifications } from "./views/notifications.js";
import * as outboxView from "./views/outbox.js";
import * as quarantineView from "./views/quarantine.js";
import * as queuesView from "./views/queues.js";
import * as ticketView from "./views/ticket.js";

const HEARTBEAT_MS = 30000;

/** The screens in the navigation, and who may use them. */
const SCREENS = [
  { name: "queues", label: "Queues", roles: ["associate", "supervisor"], view: queuesView },
  { name: "callbacks", label: "Callbacks", roles: ["associate", "supervisor"], view: callbacksView },
  { name: "cases", label: "Cases", roles: ["associate", "supervisor", "specialist"], view: casesView },
  { name: "analytics", label: "Analytics", roles: ["supervisor", "admin"], view: analyticsView },
  { name: "floor", label: "Assignment", roles: ["supervisor", "admin"], view: assignView },
  { name: "outbox", label: "Outbox", roles: ["supervisor", "specialist", "admin"], view: outboxView },
  { name: "macros", label: "Macros", roles: ["supervisor", "admin"], view: macrosView },
  { name: "quarantine", label: "Mail quarantine", roles: ["supervisor", "admin"], view: quarantineView },
];
/** Routes that are not in the navigation. */
const HIDDEN_SCREENS = [
  { name: "tickets", label: "Ticket", roles: ["associate", "supervisor", "specialist"], view: ticketView },
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const navList = document.getElementById("nav-list");
const userBox = document.getElementById("user");
const userName = document.getElementById("user-name");
const userRole = document.getElementById("user-role");
const logoutButton = document.getElementById("logout");
const announcer = document.getElementById("announcer");

let session = null; // {agent: {username, display_name, role}, csrf_token}
let unmountCurrent = null;
let heartbeatTimer = null;
let stopNotifications = null;
let firstRoute = true;

// ------------------------------------------------------------------ helpers for views

function announce(text) {
  setText(announcer, "");
  window.setTimeout(() => setText(announcer, text), 50);
}

function screensFor(role) {
  return SCREENS.filter((s) => s.roles.includes(role));
}

function can(screenName) {
  if (!session) return false;
  const role = session.agent.role;
  const screen = [...SCREENS, ...HIDDEN_SCREENS].find((s) => s.name === screenName);
  return Boolean(screen && screen.roles.includes(role));
}

function homeScreen(role) {
  const first = screensFor(role)[0];
  return first ? first.name : null;
}

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = raw.split("/");
  let param = rest.join("/");
  try {
    param = decodeURIComponent(param);
  } catch (_err) {
    // leave it as typed
  }
  return { name: name || "", param };
}

// ------------------------------------------------------------------ session

function unmount() {
  if (unmountCurrent) {
    try {
      unmountCurrent();
    } catch (_err) {
      // a view failing to clean up must not block navigation
    }
  }
  unmountCurrent = null;
}

function startHeartbeat() {
  stopHeartbeat();
  const beat = () => {
    // Keeps the agent "online" while the live socket is down (its pings do it otherwise); a
    // missing endpoint (404) or any other error is ignored.
    if (live.isOpen()) return;
    api.post(`${API}/heartbeat`, {}).catch(() => {});
  };
  beat();
  heartbeatTimer = window.setInterval(beat, HEARTBEAT_MS);
}

function stopHeartbeat() {
  if (heartbeatTimer !== null) window.clearInterval(heartbeatTimer);
  heartbeatTimer = null;
}

function renderHeader() {
  const agent = session.agent;
  setText(userName, agent.display_name || agent.username);
  userName.title = agent.username;
  setText(userRole, agent.role);
  userBox.hidden = false;
  replace(
    navList,
    screensFor(agent.role).map((s) =>
      h("li", null, h("a", { href: `#/${s.name}`, testid: `nav-${s.name}`, dataset: { screen: s.name } }, s.label)),
    ),
  );
  nav.hidden = false;
}

function markNav(screenName) {
  const active = screenName === "tickets" ? "queues" : screenName;
  for (const link of navList.querySelectorAll("a")) {
    if (link.dataset.screen === active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function startSession(body, fromLogin) {
  const b = obj(body);
  const agent = obj(b.agent);
  session = {
    agent: {
      username: str(agent.username),
      display_name: str(agent.display_name),
      role: str(agent.role),
    },
  };
  setCsrfToken(str(b.csrf_token));
  renderHeader();
  live.start(str(b.csrf_token), () => {
    if (session) endSession("Your session has ended. Log in again.");
  });
  startHeartbeat();
  if (stopNotifications) stopNotifications();
  stopNotifications = startNotifications(logoutButton);
  firstRoute = !fromLogin; // after a login, move focus to the new screen's heading
  route();
}

function endSession(message) {
  unmount();
  live.stop();
  stopHeartbeat();
  if (stopNotifications) stopNotifications();
  stopNotifications = null;
  session = null;
  setCsrfToken("");
  userBox.hidden = true;
  nav.hidden = true;
  navList.replaceChildren();
  showLogin(message);
}

function showLogin(message) {
  unmount();
  document.title = "Log in · Tierline desk";
  main.replaceChildren();
  unmountCurrent = loginView.mount(main, { message, onLoggedIn: (body) => startSession(body, true) });
}

async function logout() {
  logoutButton.disabled = true;
  try {
    await api.post(`${API}/logout`, {}, { quiet401: true });
  } catch (_err) {
    // logged out anyway: the session is dropped client-side and the cookie expires
  } finally {
    logoutButton.disabled = false;
  }
  // The next person to log in starts on their own start screen.
  history.replaceState(null, "", window.location.pathname + window.location.search);
  endSession("You are logged out.");
}

// ------------------------------------------------------------------ routing

function renderNotAllowed(label) {
  main.replaceChildren(
    h(
      "section",
      { class: "panel", testid: "not-allowed" },
      h("h1", { tabindex: "-1" }, label),
      h("p", null, `The ${session.agent.role} role does not use this screen.`),
      h("a", { href: `#/${homeScreen(session.agent.role) || ""}` }, "Go to your start screen"),
    ),
  );
}

function route() {
  if (!session) return;
  const { name, param } = parseHash();
  const screen = [...SCREENS, ...HIDDEN_SCREENS].find((s) => s.name === name);
  const home = homeScreen(session.agent.role);
  if (!screen) {
    if (home) {
      window.location.replace(`#/${home}`);
      if (parseHash().name === home) return; // hashchange will route
    }
    unmount();
    main.replaceChildren(
      h("section", { class: "panel", testid: "no-screens" },
        h("h1", { tabindex: "-1" }, "Nothing to show"),
        h("p", null, `The ${session.agent.role} role has no console screens.`)),
    );
    return;
  }
  unmount();
  markNav(screen.name);
  document.title = `${param ? `${param} · ` : ""}${screen.label} · Tierline desk`;
  if (!can(screen.name)) {
    renderNotAllowed(screen.label);
  } else {
    main.replaceChildren();
    const ctx = {
      agent: session.agent,
      param,
      announce,
      can,
      navigate(hash) {
        window.location.hash = hash;
      },
    };
    try {
      unmountCurrent = screen.view.mount(main, ctx) || null;
    } catch (err) {
      main.replaceChildren(
        h("section", { class: "panel" },
          h("h1", { tabindex: "-1" }, screen.label),
          h("div", { class: "notice notice-bad", role: "alert" }, `This screen failed to load: ${str(err && err.message)}`)),
      );
    }
  }
  if (!firstRoute) {
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
  firstRoute = false;
}

// ------------------------------------------------------------------ boot

async function boot() {
  onUnauthorized(() => {
    if (session) endSession("Your session has ended. Log in again.");
  });
  logoutButton.addEventListener("click", logout);
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", route);
  try {
    const me = await api.get(`${API}/me`, { quiet401: true });
    startSession(me);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) {
      showLogin(`The desk did not answer (${err.message}). You can still try to log in.`);
    } else {
      showLogin("");
    }
  }
}

boot();
