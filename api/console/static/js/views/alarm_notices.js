// Who an alarm reached and how: each manager told of it, and where their email stands.

import { all, get } from "../api.js";
import { badge, errorBox, h, loading, panel, replace } from "../dom.js";
import { formatDateTime, t } from "../i18n.js";

// email_state → the words after the badge.
const EMAIL_WORDS = {
  sent: (n) => t("notified.sent", { at: formatDateTime(n.email_sent_at) }),
  pending: () => t("notified.pending"),
  failed: (n) => t("notified.failed", { why: n.email_error || t("notified.failed_unknown") }),
  no_address: () => t("notified.no_address"),
};

/** Names of the group's users by id, for admins (GET /auth/users is theirs); else empty. */
async function namesOf(context) {
  if (context.user.role !== "admin") return new Map();
  try {
    return new Map((await all("/auth/users")).map((u) => [u.id, u.full_name]));
  } catch {
    return new Map(); // the ids still say who; a name is a courtesy
  }
}

function who(notice, context, names) {
  const name = names.get(notice.user_id);
  if (notice.user_id === context.user.id) return name ? `${name} (${t("notified.you")})` : t("notified.you");
  return name || t("notified.user", { id: notice.user_id });
}

function noticeItem(notice, context, names) {
  const mine = notice.user_id === context.user.id;
  const missing = notice.email_state === "no_address";
  const words = (EMAIL_WORDS[notice.email_state] || (() => ""))(notice);
  return h("li", { class: "notice-row", "data-user": notice.user_id, "data-email-state": notice.email_state },
    h("div", { class: "notice-who" }, h("strong", {}, who(notice, context, names)),
      h("span", { class: "muted" }, t("notified.at", { at: formatDateTime(notice.created_at) }))),
    h("div", { class: "notice-email" }, badge("email_state", notice.email_state),
      h("span", { class: "notice-words" }, words),
      missing && mine ? h("a", { href: "#/account", class: "add-address" }, t("notified.add_address")) : null,
      missing && !mine ? h("span", { class: "muted" }, t("notified.ask_address")) : null));
}

/** The panel listing who alarm alarmId reached; fills itself in once the answers arrive. */
export function noticesPanel(alarmId, context) {
  const body = h("div", { id: "alarm-notified" }, loading());
  Promise.all([get(`/alarms/${alarmId}`), namesOf(context)]).then(
    ([alarm, names]) => replace(body, alarm.notified.length
      ? h("ul", { class: "notice-list" }, alarm.notified.map((n) => noticeItem(n, context, names)))
      : h("p", { class: "empty" }, t("notified.none"))),
    (error) => replace(body, errorBox(error)));
  return panel(t("notified.title"), body);
}
