/// <reference lib="dom" />
/**
 * Avatars in the document: a small round `span.avatar` for a user, drawn
 * from their mark ({@linkcode avatarFace}). The default's initial and an
 * emoji are put in as attributes the style sheet shows (`content:
 * attr(…)`), not as text: a line's text stays the seed's
 * `[14:30:35] 张三: 大家好` when copied, and a name or mark can never become
 * markup. A picture is an `<img>` whose address only `avatarFace` builds.
 *
 * @module
 */

import { avatarFace } from "../web/avatar_faces.ts";
import { h } from "./dom.ts";

/** The avatar of `name` with `mark` (`undefined`: not known yet). */
export function avatarElement(
  doc: Document,
  name: string,
  mark: string | undefined,
): HTMLElement {
  const face = avatarFace(name, mark);
  const element = h(doc, "span", {
    class: "avatar",
    "data-user": name,
    "data-mark": mark ?? "",
    "data-face": face.kind,
    "aria-hidden": "true",
  });
  switch (face.kind) {
    case "initial":
      element.dataset.initial = face.text;
      // Through the CSSOM, which the page's policy allows (no style
      // attribute is parsed).
      element.style.setProperty("--avatar-bg", face.background);
      element.style.setProperty("--avatar-fg", face.color);
      break;
    case "emoji":
      element.dataset.emoji = face.text;
      break;
    case "image":
      element.append(
        h(doc, "img", {
          src: face.src,
          alt: "",
          loading: "lazy",
          decoding: "async",
          draggable: "false",
        }),
      );
      break;
  }
  return element;
}

/**
 * Draws again, under `root`, the avatars whose mark `markOf` now gives
 * differently.
 */
export function refreshAvatars(
  root: ParentNode,
  markOf: (name: string) => string | undefined,
): void {
  for (const old of root.querySelectorAll<HTMLElement>(".avatar[data-user]")) {
    const name = old.dataset.user!;
    const mark = markOf(name);
    if ((mark ?? "") === old.dataset.mark) continue;
    old.replaceWith(avatarElement(old.ownerDocument, name, mark));
  }
}
