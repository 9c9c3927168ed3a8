// Parts looked up once per session by id, so that lists can show part numbers and names.

import { get } from "../api.js";
import { h } from "../dom.js";
import { pick } from "../i18n.js";

const byId = new Map();

/** The catalogue part with this id, or null when it cannot be read. */
export function partById(id) {
  if (!byId.has(id)) byId.set(id, get(`/parts/catalogue/${id}`).catch(() => null));
  return byId.get(id);
}

/** A cell showing "#id" until the part's number and name arrive. */
export function partCell(id) {
  const cell = h("span", { class: "part-cell", "data-part": id }, `#${id}`);
  partById(id).then((part) => {
    if (part) cell.replaceChildren(h("code", {}, part.part_number), " ", pick(part.name_zh, part.name_en));
  });
  return cell;
}
