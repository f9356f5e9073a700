/// <reference lib="dom" />
/**
 * One small modal form (`<dialog>`) for what the terminal asks in a row of
 * prompts: changing the password, deleting the account. Fields are masked
 * password inputs unless said otherwise.
 *
 * @module
 */

import { type Lang, t } from "../shared/messages.ts";
import { byId, h } from "./dom.ts";

/** One field of the form. */
export interface DialogField {
  name: string;
  label: string;
  type?: "password" | "text";
}

/** What to ask. */
export interface DialogRequest {
  title: string;
  text?: string;
  fields: readonly DialogField[];
  /**
   * Checks the values: the sentence to show (and keep the dialog open), or
   * `undefined` to close it with them.
   */
  check?(values: Record<string, string>): string | undefined;
}

/**
 * Shows the dialog; resolves the values, or `undefined` when cancelled.
 */
export function askDialog(
  doc: Document,
  lang: Lang,
  request: DialogRequest,
): Promise<Record<string, string> | undefined> {
  const dialog = byId<HTMLDialogElement>(doc, "dialog");
  byId(doc, "dialog-title").textContent = request.title;
  byId(doc, "dialog-text").textContent = request.text ?? "";
  byId(doc, "dialog-message").textContent = "";
  byId(doc, "dialog-ok").textContent = t(lang, "webOk");
  byId(doc, "dialog-cancel").textContent = t(lang, "webCancel");
  const inputs = request.fields.map((field) =>
    h(doc, "input", {
      name: field.name,
      type: field.type ?? "password",
      autocomplete: field.type === "text" ? "off" : "new-password",
    }) as HTMLInputElement
  );
  byId(doc, "dialog-fields").replaceChildren(
    ...request.fields.map((field, index) =>
      h(doc, "label", {}, h(doc, "span", {}, field.label), inputs[index]!)
    ),
  );
  const form = byId<HTMLFormElement>(doc, "dialog-form");
  const cancel = byId(doc, "dialog-cancel");
  return new Promise((resolve) => {
    const finish = (values: Record<string, string> | undefined) => {
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      for (const input of inputs) input.value = "";
      if (dialog.open) dialog.close();
      resolve(values);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      const values: Record<string, string> = {};
      request.fields.forEach((field, index) => {
        values[field.name] = inputs[index]!.value;
      });
      const problem = request.check?.(values);
      if (problem !== undefined) {
        byId(doc, "dialog-message").textContent = problem;
        return;
      }
      finish(values);
    };
    const onCancel = (event: Event) => {
      event.preventDefault();
      finish(undefined);
    };
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    inputs[0]?.focus();
  });
}
