// Progressive enhancement only: every page works without this file.
"use strict";

const sameDay = (a, b) => a.toDateString() === b.toDateString();

// Show <time datetime> stamps in the reader's own time zone, in the page's language.
function localiseTimes(root) {
  const lang = document.documentElement.lang || "en";
  const short = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
  const day = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const full = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short" });
  for (const el of root.querySelectorAll("time[datetime][data-local]")) {
    if (el.dataset.local === "day") continue;
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    const asDay = el.dataset.local === "auto" && !sameDay(when, new Date());
    el.textContent = asDay ? day.format(when) : short.format(when);
    el.title = full.format(when);
  }
}

// The server draws a page's day headings for the offset this cookie gives (minutes east of
// UTC); keeping it current lets the next page fall on the reader's own days.
(function rememberOffset() {
  const cookie = `tz=${-new Date().getTimezoneOffset()}`;
  if (document.cookie.split("; ").includes(cookie)) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${cookie}; path=/; max-age=31536000; SameSite=Lax${secure}`;
})();

const localDay = (when) =>
  `${when.getFullYear()}-${String(when.getMonth() + 1).padStart(2, "0")}-${String(when.getDate()).padStart(2, "0")}`;

// "Today", "Yesterday", else the date as `Lang::day_heading` writes it.
function dayLabel(key, labels, lang) {
  const [year, month, date] = key.split("-").map(Number);
  const day = new Date(year, month - 1, date);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (sameDay(day, today)) return labels.today;
  if (sameDay(day, yesterday)) return labels.yesterday;
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (year !== today.getFullYear()) options.year = "numeric";
  const text = new Intl.DateTimeFormat(lang, options).format(day);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// One heading where each of the reader's days begins, across loaded history and the log:
// live messages bring a new day's heading, and the server's guess at the reader's zone is
// put right. Headings are only added, moved or relabelled where they are wrong, so that the
// log does not announce what has not changed.
function placeDaySeparators() {
  const log = document.getElementById("messages");
  if (!log) return;
  const lang = document.documentElement.lang || "en";
  const lists = [document.getElementById("earlier"), log].filter(Boolean);
  const kept = new Set();
  let previous = null;
  for (const list of lists) {
    for (const message of list.querySelectorAll(':scope > li.msg')) {
      const stamp = message.querySelector('time[data-local="short"]');
      const when = stamp && new Date(stamp.getAttribute("datetime"));
      if (!when || Number.isNaN(when.getTime())) continue;
      const key = localDay(when);
      if (key === previous) continue;
      previous = key;
      // The heading comes before the unread line, when that is where the day begins too.
      let anchor = message;
      if (anchor.previousElementSibling && anchor.previousElementSibling.classList.contains("unread-line")) {
        anchor = anchor.previousElementSibling;
      }
      let heading = anchor.previousElementSibling;
      const stampOf = (li) => li && li.classList.contains("day") && li.querySelector("time[data-local=day]");
      if (!stampOf(heading) || stampOf(heading).getAttribute("datetime") !== key) {
        heading = document.createElement("li");
        heading.className = "day";
        heading.innerHTML = '<h3><time data-local="day"></time></h3>';
        heading.querySelector("time").setAttribute("datetime", key);
        list.insertBefore(heading, anchor);
      }
      const time = stampOf(heading);
      const label = dayLabel(key, log.dataset, lang);
      if (time.textContent !== label) time.textContent = label;
      kept.add(heading);
    }
  }
  for (const list of lists) {
    for (const heading of list.querySelectorAll(":scope > li.day")) {
      if (!kept.has(heading)) heading.remove();
    }
  }
}

// --- Long-polling: back off with jitter on network errors, and say so quietly. ---
const MAX_BACKOFF_MS = 30_000;
let failures = 0;

function connectionStatus(text) {
  const status = document.getElementById("connection");
  if (status && status.textContent !== text) status.textContent = text;
}

function retryPollLater() {
  failures += 1;
  const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 5));
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  connectionStatus(document.body.dataset.reconnecting || "Reconnecting…");
  setTimeout(() => {
    const poller = document.getElementById("poller");
    if (poller) htmx.trigger(poller, "retry");
  }, delay);
}

// A host that counts concurrent requests refuses held polls (CloudLinux's entry-process limit
// answers 508, others 503): then ask the server not to hold them for a while. It answers at
// once and tells the page to wait 1.5 s between polls, so messages still arrive within 2 s.
const SHORT_POLLING_KEY = "bavard-short-polling-until";
const SHORT_POLLING_MS = 10 * 60_000;

function shortPolling() {
  try {
    return Number(sessionStorage.getItem(SHORT_POLLING_KEY) || 0) > Date.now();
  } catch (_) {
    return false;
  }
}

function pollShortlyForAWhile() {
  try {
    sessionStorage.setItem(SHORT_POLLING_KEY, String(Date.now() + SHORT_POLLING_MS));
  } catch (_) {
    // Storage refused (private mode): the next refusal asks again.
  }
}

document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id === "poller") {
    // Only a page in view counts as read.
    event.detail.parameters.visible = document.visibilityState === "visible" ? "1" : "0";
    if (shortPolling()) event.detail.parameters.wait = "0";
  }
});

// By the time an answer is handled the poller has usually been replaced by the next one, and
// htmx then tells its parent: recognise poll requests by their path, not their element.
function isPoll(detail) {
  const path = (detail.pathInfo && detail.pathInfo.requestPath) || "";
  return /^\/(c\/\d+\/)?poll(\?|$)/.test(path);
}

document.addEventListener("htmx:afterRequest", (event) => {
  if (!isPoll(event.detail)) return;
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (event.detail.successful) {
    failures = 0;
    connectionStatus("");
  } else if (status === 0 || status >= 500) {
    if (status === 503 || status === 508) pollShortlyForAWhile();
    retryPollLater();
  }
});

// Errors of our own come with HX-Retarget into the alert region; an error page from something
// in front (a host's 508, a proxy's 502) must not replace the poller, or polling would stop.
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (isPoll(event.detail) && xhr.status >= 400 && !xhr.getResponseHeader("HX-Retarget")) {
    event.detail.shouldSwap = false;
  }
});

// Coming back to the tab: ask at once, so that what is now seen counts as read.
document.addEventListener("visibilitychange", () => {
  const poller = document.getElementById("poller");
  if (document.visibilityState === "visible" && poller) htmx.trigger(poller, "retry");
});

// --- The conversation ---
function nearBottom() {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
}

let stickToBottom = true;
document.addEventListener("htmx:beforeSwap", () => {
  stickToBottom = nearBottom();
});
document.addEventListener("htmx:oobAfterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "messages" && stickToBottom) {
    const last = event.detail.target.lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
  }
});

// A message arriving in the log is read out whole, with its "React" and (one's own) "Message
// actions" buttons: so they are taken out before the browser shows the new entry to a screen
// reader and put back a moment later, inside the message's quiet (aria-live="off") region, where
// their arrival is not announced. The observer runs before the next accessibility update does.
// Someone moving on with Tab gets the menus back at once.
const MENU_LATER_MS = 1000;
const heldMenus = [];

// htmx enhances a new entry after it is in place, while its menus are held: they come back
// as plain HTML, and "Reply" would load a whole page (losing the draft) unless htmx sees them.
function giveMenusBack() {
  for (const [quiet, menu] of heldMenus.splice(0)) {
    quiet.append(menu);
    htmx.process(quiet);
  }
}

function quietMenus(log) {
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (!(node instanceof Element) || !node.matches("li.msg")) continue;
        const quiet = node.querySelector(".message-tools");
        if (!quiet || !quiet.firstElementChild) continue;
        const menus = document.createDocumentFragment();
        menus.append(...quiet.children);
        heldMenus.push([quiet, menus]);
        setTimeout(giveMenusBack, MENU_LATER_MS);
      }
    }
  }).observe(log, { childList: true, subtree: true });
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Tab") giveMenusBack();
}, true);

// A menu opened at the foot of the log is scrolled out from under the composer, which stays
// at the bottom of the window.
document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.open || !menu.closest(".message-tools")) return;
  const composer = document.getElementById("composer");
  const limit = composer ? composer.getBoundingClientRect().top : window.innerHeight;
  const hidden = menu.getBoundingClientRect().bottom - limit;
  if (hidden > 0) window.scrollBy({ top: hidden + 8 });
}, true);

// "Reply" and "Cancel reply" redraw the composer: what was typed stays, and typing goes on.
// Only the reply's own swap takes the draft: a poll's swap may come in between.
let keptDraft = null;
// The element whose request this htmx event is about (null for none).
function requestedBy(event) {
  const config = event.detail.requestConfig;
  return (config && config.elt) || null;
}
function isReplyRequest(event) {
  const link = requestedBy(event);
  return Boolean(link && link.classList && link.classList.contains("reply-link"));
}
document.addEventListener("htmx:beforeSwap", (event) => {
  if (!isReplyRequest(event)) return;
  const box = document.getElementById("body");
  keptDraft = box ? box.value : "";
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (keptDraft === null || !isReplyRequest(event)) return;
  const box = document.getElementById("body");
  if (box) {
    if (!box.value) box.value = keptDraft;
    box.focus();
  }
  keptDraft = null;
});

// Sending empties the composer at once, as chat apps do, so that the next message can be
// started while this one is on its way (it may even arrive by poll first). What is typed
// meanwhile stays when the answer's fresh composer replaces this one, and is sent then if it
// was sent meanwhile (htmx would drop a second request from the form being replaced); a
// message that could not be sent comes back in front of it. Files go the same way: the ones
// sent leave the picker, the ones chosen meanwhile move into the fresh composer, and those of
// a send that failed come back.
let sending = null;
document.addEventListener("submit", (event) => {
  if (!sending || event.target.id !== "composer") return;
  event.preventDefault();
  event.stopPropagation();
  sending.again = true;
}, true);
function isComposerRequest(event) {
  const form = requestedBy(event);
  return Boolean(form && form.id === "composer");
}
document.addEventListener("htmx:beforeRequest", (event) => {
  const box = document.getElementById("body");
  if (!isComposerRequest(event) || !box) return;
  const picker = document.getElementById("files");
  // htmx has read the form by now: emptying it changes nothing of what is sent.
  // The files are copied: emptying the picker empties its FileList too.
  sending = { sent: box.value, box, again: false, picker, sentFiles: picker ? [...picker.files] : [] };
  box.value = "";
  if (picker) picker.value = "";
});
function moveFiles(files, to) {
  if (!files || files.length === 0 || !to) return;
  const moved = new DataTransfer();
  for (const file of files) moved.items.add(file);
  to.files = moved.files;
}
// After the swap: the answer's composer, if one came, is already in place.
document.addEventListener("htmx:afterRequest", (event) => {
  if (!sending || !isComposerRequest(event)) return;
  const { sent, box: sentFrom, again, picker: sentPicker, sentFiles } = sending;
  sending = null;
  const since = sentFrom.value;
  const chosenSince = sentPicker ? sentPicker.files : null;
  const box = document.getElementById("body");
  if (!box) return;
  const picker = document.getElementById("files");
  if (picker !== sentPicker) moveFiles(chosenSince, picker);
  if (!event.detail.successful && picker && picker.files.length === 0) moveFiles(sentFiles, picker);
  if (event.detail.successful) {
    box.value = since;
    if (again && (since.trim() || (picker && picker.files.length > 0))) {
      // The fresh composer may not have its htmx behaviour yet: without it this would be a
      // whole-page submit.
      htmx.process(box.form);
      box.form.requestSubmit();
    }
  } else {
    // Refused, the answer's composer holds the draft and says why; not sent at all, it is ours.
    const draft = box !== sentFrom && box.value ? box.value : sent;
    box.value = since ? `${draft}\n${since}` : draft;
  }
  box.focus();
});

// "Ann is typing…" for the others: one small request every few seconds while keys are pressed
// in the composer, never one per key; the server ends it by itself when they stop, and at once
// when the message is sent.
const TYPING_EVERY_MS = 3000;
let typingSaidAt = 0;
document.addEventListener("input", (event) => {
  const status = document.getElementById("typing");
  if (!status || event.target.id !== "body" || !event.target.closest("#composer")) return;
  if (!event.target.value.trim() || Date.now() - typingSaidAt < TYPING_EVERY_MS) return;
  typingSaidAt = Date.now();
  fetch(status.dataset.url, { method: "POST", credentials: "same-origin" }).catch(() => {});
});
document.addEventListener("submit", (event) => {
  if (event.target.id === "composer") typingSaidAt = 0;
});

// A quote of a message already on the page goes to it there, rather than loading its history.
document.addEventListener("click", (event) => {
  const quote = event.target.closest && event.target.closest("a.reply-quote");
  if (!quote || !document.getElementById(`m${quote.dataset.message}`)) return;
  event.preventDefault();
  location.hash = `m${quote.dataset.message}`;
});

// "React" holds a link to the message's reactions page; opened here, it gets the page's one
// picker instead, posting to that same address, so that no message carries six buttons.
document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.open || !menu.classList.contains("react")) return;
  const link = menu.querySelector("a.react-choose");
  const template = document.getElementById("react-picker");
  if (!link || !template) return;
  const picker = template.content.firstElementChild.cloneNode(true);
  picker.setAttribute("action", link.getAttribute("href"));
  picker.setAttribute("hx-post", link.getAttribute("href"));
  link.replaceWith(picker);
  htmx.process(picker);
}, true);

// A reaction chosen: the picker closes and focus goes back to its button, as a menu's does.
document.addEventListener("htmx:afterRequest", (event) => {
  const picker = event.detail.elt.closest && event.detail.elt.closest(".react-picker");
  const menu = picker && picker.closest("details");
  if (!menu || !event.detail.successful) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});

// Escape closes an open message-actions menu and puts focus back on its button, as a menu does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(event.target instanceof Element)) return;
  const menu = event.target.closest("details[open]");
  if (!menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});

// --- Mentions: "@" and the start of a name offer the conversation's members (those of its
// members panel) in a list under the composer: arrows choose, Enter or Tab takes, Escape
// closes. Without this, "@username" typed in full works the same.
const MOST_OFFERED = 8;
let offered = [];
let chosen = 0;

function mentionTyped(box) {
  const before = box.value.slice(0, box.selectionStart);
  const match = /(^|[^a-z0-9_.@-])@([a-z0-9_.-]*)$/i.exec(before);
  return match ? { start: before.length - match[2].length, typed: match[2].toLowerCase() } : null;
}

function mentionList(box) {
  let list = document.getElementById("mention-options");
  if (!list) {
    list = document.createElement("ul");
    list.id = "mention-options";
    list.className = "mention-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.form.dataset.mentionLabel || "");
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("aria-autocomplete", "list");
  }
  return list;
}

function closeMentions(box) {
  offered = [];
  const list = document.getElementById("mention-options");
  if (list) list.replaceChildren();
  if (box) box.removeAttribute("aria-activedescendant");
}

function showMentions(box) {
  const typed = mentionTyped(box);
  const people = [...document.querySelectorAll(".members-panel a.person")].map((a) => ({
    username: (a.querySelector(".person-handle") || a).textContent.trim().replace(/^@/, ""),
    name: (a.querySelector(".person-name") || a).textContent.trim(),
  }));
  offered = typed
    ? people
      .filter((p) => p.username.startsWith(typed.typed) || p.name.toLowerCase().startsWith(typed.typed))
      .slice(0, MOST_OFFERED)
    : [];
  if (offered.length === 0) return closeMentions(box);
  chosen = Math.min(chosen, offered.length - 1);
  const list = mentionList(box);
  list.replaceChildren(...offered.map((person, i) => {
    const option = document.createElement("li");
    option.id = `mention-option-${i}`;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", String(i === chosen));
    option.textContent = `${person.name} (@${person.username})`;
    option.addEventListener("mousedown", (event) => {
      event.preventDefault();
      takeMention(box, i);
    });
    return option;
  }));
  box.setAttribute("aria-activedescendant", `mention-option-${chosen}`);
}

function takeMention(box, i) {
  const typed = mentionTyped(box);
  if (!typed || !offered[i]) return;
  const after = box.value.slice(box.selectionStart);
  const inserted = `${offered[i].username} `;
  box.value = box.value.slice(0, typed.start) + inserted + after;
  const caret = typed.start + inserted.length;
  box.setSelectionRange(caret, caret);
  closeMentions(box);
}

document.addEventListener("input", (event) => {
  if (event.target.id !== "body" || !event.target.closest("#composer")) return;
  chosen = 0;
  showMentions(event.target);
});
document.addEventListener("focusout", (event) => {
  if (event.target.id === "body") closeMentions(event.target);
});
// Before the composer's own keys (Enter sends): while names are offered, these keys are theirs.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (box.id !== "body" || offered.length === 0) return;
  // A name typed in full is taken as it is: Enter sends.
  const typed = mentionTyped(box);
  if (event.key === "Enter" && typed && offered.some((p) => p.username === typed.typed)) {
    closeMentions(box);
    return;
  }
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    chosen = (chosen + (event.key === "ArrowDown" ? 1 : offered.length - 1)) % offered.length;
    showMentions(box);
  } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
    takeMention(box, chosen);
  } else if (event.key === "Escape") {
    closeMentions(box);
  } else {
    return;
  }
  event.preventDefault();
  event.stopImmediatePropagation();
}, true);

// Enter sends, Shift+Enter adds a line.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  if (!(field instanceof HTMLTextAreaElement) || !field.closest("#composer")) return;
  event.preventDefault();
  const files = fileInput(field.form);
  if (!field.value.trim() && !(files && files.files.length)) return;
  field.form.requestSubmit();
});

// --- Attaching files: dropped on the composer or pasted into it, they join the file input,
// so that sending works the same as choosing them. Files over the limit are refused here,
// before they are sent for nothing.
function fileInput(form) {
  return form && form.querySelector('input[type="file"][name="files"]');
}

function sayRefused(form, names) {
  const input = fileInput(form);
  let note = form.querySelector(".files-refused");
  if (names.length === 0) {
    if (note) note.remove();
    return;
  }
  if (!note) {
    note = document.createElement("p");
    note.className = "error files-refused";
    note.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", note);
  }
  note.textContent = `${form.dataset.tooLarge || ""} ${names.join(", ")}`;
}

function attach(form, added) {
  const input = fileInput(form);
  if (!input) return;
  const max = Number(form.dataset.maxFile || 0);
  const most = Number(form.dataset.maxFiles || 10);
  const kept = new DataTransfer();
  const refused = [];
  for (const file of [...input.files, ...added]) {
    if (max && file.size > max) refused.push(file.name);
    else if (kept.files.length < most) kept.items.add(file);
  }
  input.files = kept.files;
  sayRefused(form, refused);
}

document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("#composer");
  if (form && event.target === fileInput(form)) attach(form, []);
});
document.addEventListener("dragover", (event) => {
  const form = event.target.closest && event.target.closest("#composer");
  if (!form || !event.dataTransfer.types.includes("Files")) return;
  event.preventDefault();
  form.classList.add("dropping");
});
document.addEventListener("dragleave", (event) => {
  const form = event.target.closest && event.target.closest("#composer");
  if (form && !form.contains(event.relatedTarget)) form.classList.remove("dropping");
});
document.addEventListener("drop", (event) => {
  const form = event.target.closest && event.target.closest("#composer");
  if (!form || event.dataTransfer.files.length === 0) return;
  event.preventDefault();
  form.classList.remove("dropping");
  attach(form, event.dataTransfer.files);
});
document.addEventListener("paste", (event) => {
  const form = event.target.closest && event.target.closest("#composer");
  const files = event.clipboardData && event.clipboardData.files;
  if (!form || !files || files.length === 0) return;
  event.preventDefault();
  attach(form, files);
});

// Forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
}, true);

// The conversation filter narrows the list as one types (without JavaScript it is a GET).
function filterConversations(input) {
  const needle = input.value.trim().toLowerCase();
  for (const entry of document.querySelectorAll("#conversation-list > li")) {
    entry.hidden = needle !== "" && !(entry.dataset.filter || "").includes(needle);
  }
}

document.addEventListener("input", (event) => {
  if (event.target.id === "conversation-filter") filterConversations(event.target);
});
document.addEventListener("submit", (event) => {
  if (event.target.classList && event.target.classList.contains("conv-filter")) {
    event.preventDefault();
    filterConversations(event.target.querySelector("input"));
  }
});

// --- Attention: the tab's title counts what asks for it (each list entry says how much, by its
// conversation's notification level), and, with the person's leave, the browser tells of
// direct messages and mentions while the tab is in the background. ---
const TITLE_COUNT = /^\(\d+\) /;
let unseenHere = 0;
const seenMessages = new Set();
const entriesAsked = new Map();
let listSeen = false;

const myId = () => document.body.dataset.me;

function mentionsMe(message) {
  const mentioned = message.dataset.mentions || "";
  return mentioned.includes(` ${myId()} `) || (mentioned.includes(" everyone ") && message.dataset.author !== myId());
}

function updateTitle() {
  let count = unseenHere;
  for (const entry of document.querySelectorAll("#conversation-list > li[data-attention]")) {
    count += Number(entry.dataset.attention) || 0;
  }
  const base = document.title.replace(TITLE_COUNT, "");
  const wanted = count > 0 ? `(${count}) ${base}` : base;
  if (document.title !== wanted) document.title = wanted;
}

function tell(title, body, href) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(title, { body, tag: href });
  note.onclick = () => {
    window.focus();
    location.href = href;
  };
}

// A new message in the open conversation while the tab is hidden: counted, and told of when
// it is direct or mentions the reader, as the conversation's level allows.
function arrivedHere(message) {
  const log = document.getElementById("log");
  if (!log || !document.hidden || message.classList.contains("notice") || message.dataset.author === myId()) return;
  const chosen = document.querySelector('input[name="notify"]:checked');
  const level = chosen ? chosen.value : "all";
  const mentioned = mentionsMe(message);
  if (level === "none" || (level === "mentions" && !mentioned)) return;
  unseenHere += 1;
  updateTitle();
  if (log.dataset.kind === "direct" || mentioned) {
    const author = message.querySelector(".author");
    const text = message.querySelector(".msg-body");
    const heading = document.getElementById("page-title");
    tell(heading ? heading.textContent : document.title, `${author ? `${author.textContent}: ` : ""}${text ? text.textContent : ""}`, location.pathname);
  }
}

function watchMessages(log) {
  for (const message of log.querySelectorAll("li.msg")) seenMessages.add(message.id);
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (!(node instanceof Element) || !node.matches("li.msg") || seenMessages.has(node.id)) continue;
        seenMessages.add(node.id);
        arrivedHere(node);
      }
    }
  }).observe(log, { childList: true, subtree: true });
}

// Entries of other conversations redrawn by a poll: told of when a direct one, or a mention,
// asks for more attention than before.
function entriesChanged() {
  for (const entry of document.querySelectorAll("#conversation-list > li[data-attention]")) {
    const now = { asking: Number(entry.dataset.attention) || 0, mentioned: Number(entry.dataset.mentioned) || 0 };
    // A conversation new to the list asked for nothing before, once the list was first seen.
    const before = entriesAsked.get(entry.id) || (listSeen ? { asking: 0, mentioned: 0 } : null);
    entriesAsked.set(entry.id, now);
    if (!before || !document.hidden || now.asking <= before.asking) continue;
    if (entry.dataset.kind === "direct" || now.mentioned > before.mentioned) {
      const link = entry.querySelector("a");
      const title = entry.querySelector(".conv-title");
      const preview = entry.querySelector(".conv-preview");
      tell(title ? title.textContent : "", preview ? preview.textContent : "", link ? link.getAttribute("href") : "/");
    }
  }
  listSeen = true;
  updateTitle();
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  unseenHere = 0;
  updateTitle();
});

document.addEventListener("click", (event) => {
  if (event.target.id !== "allow-notifications") return;
  Notification.requestPermission().then(() => {
    event.target.hidden = true;
  });
});

document.addEventListener("DOMContentLoaded", () => {
  const allow = document.getElementById("allow-notifications");
  if (allow && "Notification" in window && Notification.permission === "default") allow.hidden = false;
  const log = document.getElementById("log");
  if (log) watchMessages(log);
  entriesChanged();
});
document.addEventListener("htmx:load", entriesChanged);

document.addEventListener("DOMContentLoaded", () => {
  localiseTimes(document);
  placeDaySeparators();
  const log = document.getElementById("log");
  if (log) quietMenus(log);
  const messages = document.getElementById("messages");
  // Open where the unread messages begin, as chat apps do; else at the latest.
  const firstUnread = document.getElementById("first-unread");
  if (firstUnread && !location.hash) {
    firstUnread.scrollIntoView({ block: "start" });
  } else if (messages && messages.lastElementChild && !location.hash) {
    messages.lastElementChild.scrollIntoView({ block: "end" });
  }
});
document.addEventListener("htmx:load", (event) => {
  localiseTimes(event.target);
  placeDaySeparators();
});

// Web Push: "Turn them on in this browser" subscribes with the server's key and sends the
// subscription, then the page is drawn again with this browser in the list. Shown only where
// the browser can do it.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("push-enable");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  // What went wrong is said in the page's own status region, where flash messages appear.
  const say = (text) => {
    const status = document.getElementById("status");
    if (!status) return;
    const line = document.createElement("p");
    line.className = "flash";
    line.textContent = text;
    status.replaceChildren(line);
  };
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        say(button.dataset.denied);
        return;
      }
      const registration = await navigator.serviceWorker.register("/sw.js");
      await navigator.serviceWorker.ready;
      const key = Uint8Array.from(atob(button.dataset.key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      const keys = subscription.toJSON().keys;
      const body = new URLSearchParams({ endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth });
      const answer = await fetch(button.dataset.url, { method: "POST", body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (!answer.ok) throw new Error(`subscription refused: ${answer.status}`);
      location.reload();
    } catch (_) {
      say(button.dataset.failed);
    }
  });
});

// Signing out stops this browser's Web Push too: its subscription goes with the form, and the
// browser drops it.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.getAttribute("action") !== "/logout" || form.dataset.pushChecked || !("serviceWorker" in navigator)) return;
  event.preventDefault();
  form.dataset.pushChecked = "1";
  navigator.serviceWorker
    .getRegistration()
    .then((registration) => registration && registration.pushManager.getSubscription())
    .then((subscription) => {
      if (!subscription) return undefined;
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "push_endpoint";
      field.value = subscription.endpoint;
      form.append(field);
      return subscription.unsubscribe();
    })
    .catch(() => {})
    .finally(() => form.submit());
});
