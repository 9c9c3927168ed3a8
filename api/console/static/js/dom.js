// Small DOM helpers. Data from the API only ever becomes text nodes, never HTML.

import { label, t } from "./i18n.js";

/**
 * Create an element: h("button", {class: "primary", onclick: fn}, "text", child...).
 * Attributes starting with "on" become listeners; null/false attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A coloured badge for a code of a group (state, severity...). */
export function badge(group, code, extra = "") {
  return h("span", { class: `badge ${group}-${code} ${extra}`.trim(), "data-code": code }, label(group, code));
}

/** The page heading with optional actions on the right. */
export function pageHeader(title, ...actions) {
  return h("header", { class: "page-header" }, h("h1", {}, title), h("div", { class: "actions" }, actions));
}

/** A card section with a title. */
export function panel(title, ...children) {
  return h("section", { class: "panel" }, title ? h("h2", {}, title) : null, children);
}

/** A table from column specs [{title, cell(row) -> node|text, class}] and rows. */
export function table(columns, rows, { empty = t("common.empty"), rowAttrs } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.title))));
  const body = h("tbody", {});
  if (rows.length === 0) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  }
  for (const row of rows) {
    body.append(h("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((c) => h("td", { class: c.class }, c.cell(row)))));
  }
  return h("div", { class: "table-wrap" }, h("table", {}, head, body));
}

/** An error box showing the API's message and code. */
export function errorBox(error) {
  const code = error && error.code ? error.code : "error";
  const message = error && error.message ? error.message : String(error);
  return h("div", { class: "error-box", role: "alert", "data-code": code },
    h("strong", {}, t("err.title")), " ", h("span", { class: "error-message" }, message),
    h("code", { class: "error-code" }, code));
}

/** A transient message at the corner of the screen; errors stay longer. */
export function toast(message, kind = "info", code = null) {
  const host = document.getElementById("toasts");
  const node = h("div", { class: `toast toast-${kind}`, "data-code": code },
    h("span", { class: "toast-message" }, message), code ? h("code", {}, code) : null,
    h("button", { class: "toast-close", "aria-label": t("common.close"), onclick: () => node.remove() }, "×"));
  host.append(node);
  setTimeout(() => node.remove(), kind === "error" ? 12_000 : 5_000);
}

/** Show an API error as a toast. */
export function toastError(error) {
  toast(error.message || String(error), "error", error.code || null);
}

export function loading() {
  return h("div", { class: "loading" }, h("span", { class: "spinner" }), t("common.loading"));
}

/**
 * A modal form. fields: [{name, label, type, options, required, value}]. Resolves to the
 * values on submit, or null on cancel. submit(values) may throw an ApiError: it is shown
 * in the dialog and the dialog stays open.
 */
export function formDialog(title, fields, submit, { submitLabel = t("common.ok") } = {}) {
  return new Promise((resolve) => {
    const inputs = {};
    const problem = h("div", { class: "dialog-error" });
    const form = h("form", { method: "dialog", class: "dialog-form" },
      h("h2", {}, title),
      fields.map((field) => {
        let input;
        if (field.options) {
          input = h("select", { name: field.name, required: field.required },
            field.options.map(([value, text]) => h("option", { value, selected: value === field.value }, text)));
        } else if (field.type === "textarea") {
          input = h("textarea", { name: field.name, required: field.required, rows: 3 }, field.value || "");
        } else {
          input = h("input", { name: field.name, type: field.type || "text", required: field.required,
            value: field.value ?? null, min: field.min ?? null, step: field.step ?? null });
        }
        inputs[field.name] = input;
        return h("label", { class: "field" }, h("span", {}, field.label), input);
      }),
      problem,
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => close(null) }, t("common.cancel")),
        h("button", { type: "submit", class: "primary" }, submitLabel)));
    const dialog = h("dialog", { class: "dialog" }, form);
    function close(value) {
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value]));
      try {
        if (submit) await submit(values);
        close(values);
      } catch (error) {
        replace(problem, errorBox(error));
      }
    });
    dialog.addEventListener("cancel", () => close(null));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Run an async action from a button: disable it meanwhile, toast errors. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    toastError(error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}
