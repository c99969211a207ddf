// Bavard's service worker: shows the messages pushed while no page of Bavard is open (direct
// messages and mentions), and opens the conversation when one is chosen. Nothing is cached.
"use strict";

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (_) {
    return;
  }
  if (!message.title) return;
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body || "",
      tag: message.tag,
      data: { url: message.url || "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((pages) => {
      const open = pages.find((page) => new URL(page.url).origin === self.location.origin);
      if (open) return open.navigate(url).then((page) => page && page.focus());
      return self.clients.openWindow(url);
    }),
  );
});
