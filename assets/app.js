// Progressive enhancement only: every page works without this file.
"use strict";

// Show <time datetime> stamps in the reader's own time zone, in the page's language.
function localiseTimes(root) {
  const lang = document.documentElement.lang || "en";
  const short = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
  const full = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short" });
  for (const el of root.querySelectorAll("time[datetime][data-local]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    el.textContent = el.dataset.local === "full" ? full.format(when) : short.format(when);
    el.title = full.format(when);
  }
}

document.addEventListener("DOMContentLoaded", () => localiseTimes(document));
document.addEventListener("htmx:load", (event) => localiseTimes(event.target));
