// "How did we do?": the one-question survey after a person closed the chat (csat frames,
// docs/web-chat.md). The server says what is to be rated (subject) and whether it was answered,
// on every hello too, so a reload shows the same survey, or none once answered.

import { sendFrame } from "../connection.js";
import { el } from "../dom.js";
import { state } from "../state.js";
import { ui } from "../ui.js";
import { str } from "../util.js";
import { isNearBottom, scrollToBottomIfNear } from "./messages.js";
import { hideError, showError } from "./status.js";

const LABELS = ["Poor", "Fair", "Good", "Very good", "Excellent"];

function thank(box, text) {
  box.replaceChildren(el("p", { className: "tl-csat__thanks", "data-testid": "tierline-csat-thanks", text }));
}

function build(subject, question) {
  const box = el("div", { className: "tl-csat", "data-testid": "tierline-csat", role: "group", "aria-label": "Rate this conversation" });
  box.appendChild(el("p", { className: "tl-csat__question", text: question }));
  let chosen = 0;
  const scores = el("div", { className: "tl-csat__scores" });
  for (let n = 1; n <= 5; n += 1) {
    const button = el("button", {
      type: "button",
      className: "tl-csat__score",
      "data-testid": `tierline-csat-score-${n}`,
      "aria-pressed": "false",
      "aria-label": `${n} of 5: ${LABELS[n - 1]}`,
      text: String(n),
    });
    button.addEventListener("click", () => {
      chosen = n;
      for (const other of scores.children) other.setAttribute("aria-pressed", String(other === button));
      send.disabled = false;
    });
    scores.appendChild(button);
  }
  const comment = el("textarea", {
    className: "tl-csat__comment",
    "data-testid": "tierline-csat-comment",
    rows: "2",
    maxlength: "1000",
    placeholder: "Anything you want to tell us? (optional)",
    "aria-label": "Comment (optional)",
  });
  const send = el("button", { type: "button", className: "tl-button", "data-testid": "tierline-csat-send", text: "Send rating", disabled: true });
  send.addEventListener("click", () => {
    if (!chosen) return;
    const frame = { type: "csat", subject, score: chosen, comment: comment.value.trim() || null };
    if (!state.ready || !sendFrame(frame)) {
      showError("We're reconnecting. Please try again in a moment.");
      return;
    }
    hideError();
    send.disabled = true;
  });
  box.append(scores, comment, send);
  return box;
}

/** The server's csat frame (or the ready frame's csat): show, update or drop the survey. */
export function setSurvey(offer) {
  const subject = offer ? str(offer.subject) : "";
  const current = state.survey;
  if (!subject) {
    if (current) current.box.remove();
    state.survey = null;
    return;
  }
  if (current && current.subject === subject) {
    if (offer.answered && !current.answered) {
      current.answered = true;
      thank(current.box, "Thank you for your feedback!");
    }
    return;
  }
  if (current) current.box.remove();
  if (offer.answered) {
    state.survey = { subject, answered: true, box: el("div") };
    return; // answered earlier (another tab, or before a reload): nothing to ask
  }
  const wasNear = isNearBottom();
  const box = build(subject, str(offer.question) || "How did we do?");
  ui.messageList.appendChild(box);
  state.survey = { subject, answered: false, box };
  scrollToBottomIfNear(wasNear);
}

export function onSurveyThanks(frame) {
  const current = state.survey;
  if (!current || current.subject !== str(frame.subject)) return;
  current.answered = true;
  thank(current.box, str(frame.text) || "Thank you for your feedback!");
}

/** An error about the survey: already answered elsewhere means it is done here too. */
export function onSurveyError(code) {
  if (code === "csat_already_answered" && state.survey) {
    state.survey.answered = true;
    thank(state.survey.box, "You already rated this conversation. Thank you!");
  } else if (state.survey && !state.survey.answered) {
    const send = state.survey.box.querySelector(".tl-button");
    if (send) send.disabled = false;
  }
}
