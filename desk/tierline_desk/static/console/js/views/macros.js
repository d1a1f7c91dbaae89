// Macros (canned replies).
//   #/macros: admins and supervisors create, edit and delete them.
//     GET  /console/api/macros                     {macros, placeholders, can_manage}
//     POST /console/api/macros {title, body, roles}
//     POST /console/api/macros/{id} {title, body, roles}
//     POST /console/api/macros/{id}/delete
//   attachMacroPicker(textarea, url): in a composer, "/" in an empty box or Ctrl-K opens a
//   searchable list of the agent's macros, filled from the ticket's or case's card
//   (GET .../tickets/{n}/macros or .../cases/{n}/macros); Enter inserts the filled text, which
//   the agent can still edit before sending. A macro the card cannot fill (no order number...)
//   is listed but not inserted: its message says what is missing.

import { API, ApiError, api, seg } from "../api.js";
import { clearNotice, dateTime, h, list, num, obj, replace, setText, showNotice, str } from "../dom.js";

const ROLES = [
  ["associate", "Associates"],
  ["supervisor", "Supervisors"],
  ["specialist", "Specialists"],
];

// ------------------------------------------------------------------ the management screen

export function mount(root, ctx) {
  let placeholders = {};
  let editing = null; // the macro being edited, or null for a new one

  const notice = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "macros-notice" });
  const rows = h("tbody", { testid: "macros-rows" });
  const empty = h("p", { class: "empty", testid: "macros-empty", hidden: true }, "No macros yet.");
  const title = h("input", { id: "macro-title", testid: "macro-title", maxlength: "120", autocomplete: "off" });
  const body = h("textarea", { id: "macro-body", testid: "macro-body", rows: "6", maxlength: "4000" });
  const roleBoxes = ROLES.map(([role, label]) => {
    const box = h("input", { type: "checkbox", id: `macro-role-${role}`, testid: `macro-role-${role}`, value: role, checked: role !== "specialist" });
    return h("label", { class: "check", for: box.id }, box, label);
  });
  const help = h("p", { class: "hint", testid: "macro-placeholders" });
  const legend = h("legend", { testid: "macro-form-legend" }, "New macro");
  const save = h("button", { type: "submit", class: "btn btn-primary", testid: "macro-save" }, "Save macro");
  const cancel = h("button", { type: "button", class: "btn btn-ghost", testid: "macro-cancel", hidden: true }, "Cancel editing");
  const formError = h("div", { class: "notice notice-bad", role: "alert", testid: "macro-error" });
  const fieldset = h("fieldset", { class: "action" }, legend,
    h("div", { class: "field" }, h("label", { for: title.id }, "Title"), title),
    h("div", { class: "field" }, h("label", { for: body.id }, "Text"), body, help),
    h("div", { class: "field", role: "group", "aria-label": "Shown to" }, h("span", { class: "label" }, "Shown to"), roleBoxes),
    h("div", { class: "toolbar" }, save, cancel), formError);
  const form = h("form", { testid: "macro-form", novalidate: true }, fieldset);

  root.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Macros")),
    notice,
    h("div", { class: "ticket-layout" },
      h("section", { class: "panel", "aria-labelledby": "macros-list-title" },
        h("h2", { id: "macros-list-title" }, "Canned replies"),
        h("div", { class: "table-scroll" },
          h("table", { class: "data", testid: "macros-table" },
            h("thead", null, h("tr", null,
              h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Text"),
              h("th", { scope: "col" }, "Shown to"), h("th", { scope: "col" }, "Changed"),
              h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
            rows)),
        empty),
      h("section", { class: "panel", "aria-labelledby": "macro-form-title" },
        h("h2", { id: "macro-form-title" }, "Write a macro"), form)),
  );

  function startEditing(macro) {
    editing = macro;
    setText(legend, macro ? `Edit “${str(macro.title)}”` : "New macro");
    title.value = macro ? str(macro.title) : "";
    body.value = macro ? str(macro.body) : "";
    const roles = macro ? list(macro.roles).map((r) => str(r)) : ["associate", "supervisor"];
    for (const label of roleBoxes) {
      const box = label.querySelector("input");
      box.checked = roles.includes(box.value);
    }
    cancel.hidden = !macro;
    clearNotice(formError);
    title.focus();
  }

  function row(macro) {
    const m = obj(macro);
    const edit = h("button", { type: "button", class: "btn btn-small", testid: "macro-edit", dataset: { id: str(m.id) } }, "Edit");
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger", testid: "macro-delete", dataset: { id: str(m.id) } }, "Delete");
    edit.addEventListener("click", () => startEditing(m));
    remove.addEventListener("click", () => removeMacro(m, remove));
    return h("tr", { testid: "macro-row", dataset: { id: str(m.id) } },
      h("td", { testid: "macro-row-title" }, str(m.title)),
      h("td", { class: "pre", testid: "macro-row-body" }, str(m.body)),
      h("td", null, list(m.roles).map((r) => str(r)).join(", ")),
      h("td", { class: "small muted" }, `${str(m.updated_by)} · ${dateTime(m.updated_at)}`),
      h("td", null, h("div", { class: "toolbar" }, edit, remove)));
  }

  async function load() {
    try {
      const data = obj(await api.get(`${API}/macros`));
      placeholders = obj(data.placeholders);
      setText(help, `Placeholders: ${Object.entries(placeholders).map(([name, what]) => `{${name}} (${str(what)})`).join(", ")}.`);
      const macros = list(data.macros);
      replace(rows, macros.map(row));
      empty.hidden = macros.length > 0;
    } catch (err) {
      showNotice(notice, "bad", err instanceof ApiError ? err.message : "Could not load the macros.");
    }
  }

  async function removeMacro(m, button) {
    if (!window.confirm(`Delete the macro “${str(m.title)}”?`)) return;
    button.disabled = true;
    try {
      await api.post(`${API}/macros/${seg(num(m.id))}/delete`, {});
      showNotice(notice, "ok", `Deleted “${str(m.title)}”.`);
      ctx.announce(`Deleted the macro ${str(m.title)}.`);
      if (editing && editing.id === m.id) startEditing(null);
      await load();
    } catch (err) {
      showNotice(notice, "bad", err instanceof ApiError ? err.message : "The macro was not deleted.");
      button.disabled = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice(formError);
    const roles = roleBoxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    const payload = { title: title.value.trim(), body: body.value.trim(), roles };
    if (!payload.title || !payload.body || !roles.length) {
      showNotice(formError, "bad", "Give the macro a title, a text and at least one role to show it to.");
      return;
    }
    fieldset.disabled = true;
    try {
      const url = editing ? `${API}/macros/${seg(num(editing.id))}` : `${API}/macros`;
      const saved = obj(await api.post(url, payload));
      showNotice(notice, "ok", `Saved “${str(saved.title)}”.`);
      ctx.announce(`Saved the macro ${str(saved.title)}.`);
      startEditing(null);
      await load();
    } catch (err) {
      showNotice(formError, "bad", err instanceof ApiError ? err.message : "The macro was not saved.");
    } finally {
      fieldset.disabled = false;
    }
  });
  cancel.addEventListener("click", () => startEditing(null));

  load();
  return () => {};
}

// ------------------------------------------------------------------ the composer's picker

/**
 * Give `textarea` a macro picker: "/" in an empty box or Ctrl-K (Cmd-K) opens it, typing
 * filters, ArrowUp/ArrowDown move, Enter inserts, Escape closes. `url` lists the macros
 * filled for this ticket or case. Returns {el (the "Macros" button and the list), close()}.
 */
export function attachMacroPicker(textarea, url) {
  let macros = [];
  let shown = [];
  let active = 0;
  let openedBySlash = false;
  const listId = `${textarea.id || "composer"}-macros`;

  const search = h("input", {
    type: "search", testid: "macro-search", autocomplete: "off", placeholder: "Search macros…",
    role: "combobox", "aria-expanded": "true", "aria-controls": listId, "aria-label": "Search macros",
  });
  const options = h("ul", { id: listId, role: "listbox", class: "macro-options", testid: "macro-options", "aria-label": "Macros" });
  const message = h("div", { class: "notice", role: "status", "aria-live": "polite", testid: "macro-picker-message" });
  const panel = h("div", { class: "macro-picker", testid: "macro-picker", hidden: true },
    h("div", { class: "macro-picker-head" }, search, h("span", { class: "hint" }, "Enter inserts · Esc closes")),
    options, message);
  const button = h("button", { type: "button", class: "btn btn-ghost btn-small", testid: "macro-open", title: "Insert a macro (/ or Ctrl-K)" }, "Macros");
  const el = h("div", { class: "macro-anchor" }, button, panel);

  function matches(m, words) {
    const hay = `${str(m.title)} ${str(m.text) || str(m.body)}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function render() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    shown = macros.filter((m) => matches(m, words));
    active = Math.min(active, Math.max(0, shown.length - 1));
    replace(options, shown.length ? shown.map((m, i) => {
      const usable = m.text !== null && m.text !== undefined;
      const item = h("li", {
        role: "option", id: `${listId}-${i}`, class: `macro-option${usable ? "" : " macro-unusable"}`,
        testid: "macro-option", "aria-selected": i === active ? "true" : "false", "aria-disabled": usable ? null : "true",
        dataset: { title: str(m.title) },
      },
      h("span", { class: "macro-option-title" }, str(m.title)),
      h("span", { class: "macro-option-text" }, usable ? str(m.text) : str(m.message)));
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        active = i;
        choose();
      });
      return item;
    }) : h("li", { class: "muted small", testid: "macro-none" }, macros.length ? "No macro matches." : "No macros for you yet."));
    search.setAttribute("aria-activedescendant", shown.length ? `${listId}-${active}` : "");
    const current = options.querySelector("[aria-selected=true]");
    if (current) current.scrollIntoView({ block: "nearest" });
  }

  async function open(bySlash) {
    openedBySlash = bySlash;
    search.value = "";
    active = 0;
    clearNotice(message);
    panel.hidden = false;
    search.focus();
    replace(options, h("li", { class: "muted small" }, "Loading macros…"));
    try {
      macros = list(obj(await api.get(url)).macros).map(obj);
      render();
    } catch (err) {
      macros = [];
      replace(options);
      showNotice(message, "bad", err instanceof ApiError ? err.message : "Could not load the macros.");
    }
  }

  function close(refocus = true) {
    if (panel.hidden) return;
    panel.hidden = true;
    if (refocus) textarea.focus();
  }

  function insert(text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.setRangeText(text, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function choose() {
    const m = shown[active];
    if (!m) return;
    if (m.text === null || m.text === undefined) {
      showNotice(message, "warn", str(m.message) || "This macro cannot be used here.");
      return;
    }
    close();
    insert(str(m.text));
  }

  textarea.addEventListener("keydown", (event) => {
    const slash = event.key === "/" && !textarea.value.trim() && !event.ctrlKey && !event.metaKey;
    const shortcut = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k";
    if ((slash || shortcut) && !textarea.disabled) {
      event.preventDefault();
      open(slash);
    }
  });
  button.addEventListener("click", () => (panel.hidden ? open(false) : close()));
  search.addEventListener("input", () => {
    active = 0;
    clearNotice(message);
    render();
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (shown.length) active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      clearNotice(message);
      render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      choose();
    } else if (event.key === "Escape") {
      event.preventDefault();
      const typedSlash = openedBySlash && !search.value;
      close();
      if (typedSlash) insert("/"); // "/" then Esc: the agent meant a slash
    }
  });
  search.addEventListener("blur", () => window.setTimeout(() => {
    if (!panel.contains(document.activeElement)) close(false);
  }, 150));

  const syncDisabled = new MutationObserver(() => {
    button.disabled = textarea.disabled;
    if (textarea.disabled) close(false);
  });
  syncDisabled.observe(textarea, { attributes: true, attributeFilter: ["disabled"] });
  button.disabled = textarea.disabled;

  return { el, close: () => close(false) };
}
