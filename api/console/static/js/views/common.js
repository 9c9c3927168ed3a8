// Pieces several pages share.

import { errorBox, h, loading, replace } from "../dom.js";
import { t } from "../i18n.js";

/** Previous/next buttons and "x–y of n" for a page {total, limit, offset}. */
export function pager(page, go) {
  if (page.total <= page.limit && page.offset === 0) return null;
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = Math.min(page.offset + page.limit, page.total);
  return h("div", { class: "pager" },
    h("button", { class: "secondary small", disabled: page.offset === 0, onclick: () => go(Math.max(0, page.offset - page.limit)) }, t("common.previous")),
    h("span", {}, t("common.range", { first, last, total: page.total })),
    h("button", { class: "secondary small", disabled: last >= page.total, onclick: () => go(page.offset + page.limit) }, t("common.next")));
}

/** A labelled value for a facts list. */
export function fact(name, value, attrs = {}) {
  return h("div", { class: "fact", ...attrs }, h("dt", {}, name), h("dd", {}, value ?? "—"));
}

/**
 * A page's loader: shows "loading" in target, then draws what fetch(...args) answers, or the error.
 * Only the newest call draws, so an older answer that arrives late cannot overwrite a newer one.
 */
export function loader(target, fetch, draw) {
  let newest = 0;
  return async (...args) => {
    const turn = ++newest;
    replace(target, loading());
    try {
      const answer = await fetch(...args);
      if (turn === newest) draw(answer, ...args);
    } catch (error) {
      if (turn === newest) replace(target, errorBox(error));
    }
  };
}
