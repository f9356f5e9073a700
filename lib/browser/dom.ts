/// <reference lib="dom" />
/**
 * The page's few DOM helpers. Everything a user wrote reaches the document
 * through {@linkcode h}'s text children, that is as text nodes: the page never
 * assigns `innerHTML`, so a message, name, status or room name cannot add
 * markup or script.
 *
 * @module
 */

import { type Lang, type MessageKey, t } from "../shared/messages.ts";

/** The element with `id`; throws when the page lacks it (a build mistake). */
export function byId<E extends HTMLElement = HTMLElement>(
  doc: Document,
  id: string,
): E {
  const element = doc.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as E;
}

/** Attributes of {@linkcode h}: strings, or `true` for a bare attribute. */
export type Attributes = Record<string, string | boolean | undefined>;

/**
 * A new element with attributes and children; strings become text nodes.
 *
 * @example
 * ```ts ignore
 * h(document, "span", { class: "name" }, "<b>not bold</b>");
 * ```
 */
export function h(
  doc: Document,
  tag: string,
  attributes: Attributes = {},
  ...children: (Node | string | undefined)[]
): HTMLElement {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === undefined) continue;
    element.append(
      typeof child === "string" ? doc.createTextNode(child) : child,
    );
  }
  return element;
}

/** Fills `data-i18n` texts and `data-i18n-placeholder` placeholders. */
export function translate(root: ParentNode, lang: Lang): void {
  for (const element of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    element.textContent = t(lang, element.dataset.i18n as MessageKey);
  }
  for (
    const element of root.querySelectorAll<HTMLInputElement>(
      "[data-i18n-placeholder]",
    )
  ) {
    element.placeholder = t(
      lang,
      element.dataset.i18nPlaceholder as MessageKey,
    );
  }
}
