// The console's service worker: a Web Push message becomes a notification, and a click on it
// opens the message's link. The payload is what api/notifications/senders.py push_payload
// writes: {id, kind, title, body, url, urgent}.

const FALLBACK_TITLE = "Pitstop";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function payloadOf(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch {
    return { body: event.data.text() };
  }
}

self.addEventListener("push", (event) => {
  const message = payloadOf(event);
  event.waitUntil(self.registration.showNotification(message.title || FALLBACK_TITLE, {
    body: message.body || "",
    tag: message.id ? `pitstop-${message.id}` : undefined,
    requireInteraction: Boolean(message.urgent),
    icon: "favicon.svg",
    data: { url: message.url || "./" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "./", self.registration.scope).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === target);
    return open ? open.focus() : self.clients.openWindow(target);
  })());
});
