import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PASSWORD, signUp, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TINY_PNG = fileURLToPath(new URL("../../../shared/corpus/files/tiny.png", import.meta.url));

// Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the page as it is, and fails with each
// (The contexts bypass the CSP only so that axe itself can be injected.)
// violation's rule and the first elements it names.
async function audit(page, what) {
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    });
    return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
  assert.deepEqual(violations, [], `${what} (${page.url()})`);
}

// A plain form's submit loads a new page: axe must go into that one, not the one leaving
// (injected mid-navigation, it found no document to go into).
async function submitAndLoad(page, button) {
  await Promise.all([page.waitForEvent("load"), button.click()]);
}

async function personIn(lang, username, name) {
  const context = await env.browser.newContext({ locale: lang, extraHTTPHeaders: { "Accept-Language": lang }, bypassCSP: true });
  const page = await context.newPage();
  if (lang === "fr") {
    await page.goto(`${env.server.base}/signup`);
    await page.getByLabel("Nom d'utilisateur").fill(username);
    await page.getByLabel("Nom affiché").fill(name);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Créer le compte" }).click();
    await page.waitForURL(`${env.server.base}/`);
  } else {
    await signUp(page, env.server.base, username, name);
  }
  return { context, page };
}

for (const lang of ["en", "fr"]) {
  test(`every page and state passes axe in ${lang}`, async () => {
    const base = env.server.base;
    const visitor = await env.browser.newContext({ locale: lang, extraHTTPHeaders: { "Accept-Language": lang }, bypassCSP: true });
    const anonymous = await visitor.newPage();
    await anonymous.goto(`${base}/login`);
    await audit(anonymous, "login");
    await submitAndLoad(anonymous, anonymous.locator("form.stack button[type=submit]"));
    await audit(anonymous, "login refused");
    await anonymous.goto(`${base}/signup`);
    await submitAndLoad(anonymous, anonymous.locator("form.stack button[type=submit]"));
    await audit(anonymous, "sign-up with errors");
    await anonymous.goto(`${base}/nowhere`);
    await audit(anonymous, "404");

    const me = await personIn(lang, `a11y${lang}`, lang === "fr" ? "Zoé Martin" : "Zoe Martin");
    const friend = await personIn(lang, `friend${lang}`, "Friend");
    const page = me.page;
    await audit(page, "home");
    await page.goto(`${base}/c/new?q=friend`);
    await audit(page, "new group with search results");
    await page.goto(`${base}/c/new`);
    await page.locator("input[name=title]").fill("Team");
    await page.locator("input[name=members]").fill(`friend${lang}`);
    await page.locator("form.stack > button[type=submit]").last().click();
    await page.waitForURL(/\/c\/\d+$/);
    const box = page.locator("#body");
    for (const text of ["hello", "a long line ".repeat(60), `ping @friend${lang}`, "to be edited", "to be deleted"]) {
      await box.fill(text);
      await box.press("Enter");
      await page.locator("#log li", { hasText: text.slice(0, 12) }).first().waitFor({ timeout: 10_000 });
    }
    await page.locator("#files").setInputFiles(TINY_PNG);
    await page.locator("#composer button[type=submit]").click();
    await page.locator("#log img").first().waitFor({ timeout: 10_000 });
    const hello = page.locator("#log li", { hasText: "hello" }).first();
    await hello.locator("details.react summary").click();
    await hello.locator(".react-picker button").first().click();
    await hello.locator(".reaction").waitFor({ timeout: 10_000 });
    await hello.locator("a.reply-link").click();
    await page.locator("#composer .replying").waitFor({ timeout: 10_000 });
    await audit(page, "composer answering a message");
    await box.fill("an answer");
    await box.press("Enter");
    await page.locator("#log li .reply-quote").waitFor({ timeout: 10_000 });
    await page.reload();
    await hello.locator("details.react summary").click();
    await hello.locator("details.reacted-by summary").click();
    await page.locator("details.members-panel summary").click();
    await page.locator("details.notify-panel summary").click();
    await audit(page, "a busy conversation, members and notification panels open");
    await page.locator("#composer button[type=submit]").click();
    await page.locator("#composer .error").first().waitFor();
    await audit(page, "composer with an error");
    await page.locator("#body").pressSequentially("@fri");
    await page.getByRole("option").first().waitFor({ timeout: 10_000 });
    await audit(page, "composer offering people to mention");
    await page.locator("#body").fill("");
    await friend.page.goto(`${base}/`);
    await friend.page.locator(".unread.mentioned").waitFor({ timeout: 10_000 });
    await audit(friend.page, "a list with an unread mention");
    await friend.page.getByRole("link", { name: /Team/ }).click();
    await friend.page.locator(".msg[data-mentions]").waitFor();
    await audit(friend.page, "a conversation where one is mentioned");

    for (const path of ["/profile", "/profile/tokens", `/u/friend${lang}`, "/users?q=friend", "/search?q=hello", "/usage", "/admin", "/admin/people"]) {
      await page.goto(`${base}${path}`);
      await audit(page, path);
    }
    await page.goto(`${base}/profile`);
    await submitAndLoad(page, page.locator("form[action='/profile/password'] button[type=submit]"));
    await audit(page, "profile with errors");
    await page.locator("#avatar").setInputFiles(TINY_PNG);
    await submitAndLoad(page, page.locator("form[action='/profile/avatar'] button[type=submit]"));
    await audit(page, "profile with a picture");

    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${base}/`);
    await audit(page, "home, dark theme");
    await page.emulateMedia({ colorScheme: "light" });
    await friend.context.close();
    await me.context.close();
    await visitor.close();
  });
}

// WCAG 1.4.10: at 320 CSS px wide (a small phone, or 400 % zoom) and at 200 % zoom of a
// 1280 × 720 window, no page scrolls sideways, however long a word someone sends.
test("every page reflows at 320 px and at 200 % zoom without scrolling sideways", async () => {
  const base = env.server.base;
  const widths = [{ width: 320, height: 640 }, { width: 640, height: 360 }];
  const setup = await env.browser.newContext();
  const author = await setup.newPage();
  await signUp(author, base, "reflowa", "Reflow Author with a rather long display name");
  const other = await env.browser.newContext();
  await signUp(await other.newPage(), base, "reflowb", "Reflow B");
  await author.goto(`${base}/c/new`);
  await author.locator("input[name=title]").fill("A group whose title is long enough to wrap on a phone");
  await author.locator("input[name=members]").fill("reflowb");
  await author.locator("form.stack > button[type=submit]").last().click();
  await author.waitForURL(/\/c\/\d+$/);
  const conversation = author.url();
  for (const text of ["https://example.org/" + "a-very-long-path-".repeat(12), "x".repeat(300), "short"]) {
    await author.locator("#body").fill(text);
    await author.locator("#body").press("Enter");
    await author.locator("#log li", { hasText: text.slice(0, 20) }).first().waitFor({ timeout: 10_000 });
  }
  await author.locator("#files").setInputFiles(TINY_PNG);
  await author.locator("#composer button[type=submit]").click();
  await author.locator("#log img").first().waitFor({ timeout: 10_000 });
  const cookies = await setup.cookies();

  for (const viewport of widths) {
    const context = await env.browser.newContext({ viewport });
    const page = await context.newPage();
    for (const path of ["/login", "/signup", "/nowhere"]) {
      await page.goto(`${base}${path}`);
      assert.equal(await sideways(page), 0, `${path} at ${viewport.width} px`);
    }
    await context.addCookies(cookies);
    for (const path of ["/", conversation.slice(base.length), "/c/new?q=reflow", "/profile", "/users?q=reflow", "/search?q=short", "/usage", "/u/reflowb"]) {
      await page.goto(`${base}${path}`);
      assert.equal(await sideways(page), 0, `${path} at ${viewport.width} px`);
    }
    await page.goto(conversation);
    await page.locator("details.members-panel summary").click();
    assert.equal(await sideways(page), 0, `members panel open at ${viewport.width} px`);
    await context.close();
  }
  await setup.close();
  await other.close();
});

// How many CSS pixels the page is wider than its window.
async function sideways(page) {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth));
}

// A link's address is no part of what is read out.
const withoutUrls = (snapshot) => snapshot.replace(/:\n\s*- \/url: [^\n]*/g, "");

// What a screen reader meets in a conversation, read from Chromium's accessibility tree: the
// log exists before any message, days, the unread line and authors are headings, times and avatars are not
// read, messages offer "Reply", a closed "React" group and one's own a "Message actions" one, and a
// message that arrives live adds one entry at the end of the log and changes nothing above it.
test("a conversation's accessibility tree reads as a chat log", async () => {
  const base = env.server.base;
  const ann = await personIn("en", "annsnap", "Ann Snap");
  const ben = await personIn("en", "bensnap", "Ben Snap");
  await ann.page.goto(`${base}/u/bensnap`);
  await ann.page.getByRole("button", { name: "Message Ben Snap" }).click();
  await ann.page.waitForURL(/\/c\/\d+$/);
  const main = await ann.page.locator("main").ariaSnapshot();
  assert.match(main, /^- main:\n  - heading "Ben Snap" \[level=1\]\n/, main);
  assert.match(main, /\n  - log "Messages in Ben Snap":\n    - heading "Messages in Ben Snap" \[level=2\]\n    - list\n/, `an empty log at first render: ${main}`);
  assert.doesNotMatch(main, /\n  - list\n/, `no empty list outside the log: ${main}`);
  assert.match(main, /\n  - textbox "Message"\n/, main);

  for (const text of ["Hello Ben", "Are you there?"]) {
    await ann.page.locator("#body").fill(text);
    await ann.page.locator("#body").press("Enter");
    await ann.page.locator("#log li", { hasText: text }).waitFor({ timeout: 10_000 });
  }
  await ben.page.goto(ann.page.url());
  const before = withoutUrls(await ben.page.locator("#log").ariaSnapshot());
  assert.equal(before, [
    '- log "Messages in Ann Snap":',
    '  - heading "Messages in Ann Snap" [level=2]',
    "  - list:",
    "    - listitem:",
    '      - heading "Today" [level=3]:',
    "        - time: Today",
    "    - listitem:",
    '      - heading "New messages" [level=3]',
    "    - listitem:",
    '      - heading "Ann Snap" [level=4]',
    "      - text: Hello Ben",
    '      - link "Reply"',
    "      - group: React",
    "    - listitem:",
    '      - heading "Ann Snap" [level=4]',
    "      - text: Are you there?",
    '      - link "Reply"',
    "      - group: React",
  ].join("\n"), "Ben reads Ann's messages, new to him, each under her name, with a closed reactions menu and no times");

  // Registered after the page's own observer, so it sees each entry as the browser's next
  // accessibility update will.
  await ann.page.evaluate(() => {
    window.entered = [];
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (node instanceof Element && node.matches("li.msg")) window.entered.push(node.innerText);
        }
      }
    }).observe(document.getElementById("log"), { childList: true, subtree: true });
  });
  await ann.page.locator("#body").fill("Still here?");
  await ann.page.locator("#body").press("Enter");
  await ben.page.locator("#log li", { hasText: "Still here?" }).locator("details.react").waitFor({ timeout: 10_000 });
  await ann.page.locator("#log li", { hasText: "Still here?" }).getByText("Message actions").waitFor({ timeout: 10_000 });
  const entered = await ann.page.evaluate(() => window.entered);
  assert.ok(entered.length >= 1, "her message entered her log");
  for (const text of entered) {
    assert.doesNotMatch(text, /Message actions|React|Reply/, `her new message enters the log without its buttons: ${JSON.stringify(text)}`);
  }
  // Then the button joins it inside a region that says its arrivals are not to be announced
  // (ARIA takes the politeness of the nearest ancestor that sets one).
  const politeness = await ann.page.locator("#log li", { hasText: "Still here?" }).getByText("Message actions")
    .evaluate((summary) => summary.closest("[aria-live]").getAttribute("aria-live"));
  assert.equal(politeness, "off", "her message's button is not announced when it arrives");
  const after = withoutUrls(await ben.page.locator("#log").ariaSnapshot());
  assert.equal(after, `${before}\n    - listitem:\n      - heading "Ann Snap" [level=4]\n      - text: Still here?\n      - link "Reply"\n      - group: React`, "one entry added at the end");

  const own = withoutUrls(await ann.page.locator("#log li", { hasText: "Still here?" }).ariaSnapshot());
  assert.equal(own, '- listitem:\n  - heading "Ann Snap" [level=4]\n  - text: Still here?\n  - link "Reply"\n  - group: React\n  - group: Message actions', "her own copy: the closed menus, not their buttons");
  await ann.context.close();
  await ben.context.close();
});

// The refusal pages a browser can meet: a cross-site form (403), a body over the limit (413)
// and a password guessed too often (429). They are drawn from the answers themselves, on the
// site's own address so that their styles load. Last in this file: the guesses slow logins
// from this address, and no test after it logs in.
for (const lang of ["en", "fr"]) {
  test(`the 403, 413 and 429 pages pass axe in ${lang}`, async () => {
    const base = env.server.base;
    const context = await env.browser.newContext({ locale: lang, extraHTTPHeaders: { "Accept-Language": lang }, bypassCSP: true });
    const page = await context.newPage();
    const answers = [
      ["403", await context.request.post(`${base}/login`, { form: { username: "x", password: "y" }, headers: { "Sec-Fetch-Site": "cross-site" } })],
      ["413", await context.request.post(`${base}/login`, { form: { username: "x".repeat(2 << 20), password: "y" } })],
    ];
    let guessed;
    for (let i = 0; i < 10 && guessed?.status() !== 429; i++) {
      guessed = await context.request.post(`${base}/login`, { form: { username: `nobody${lang}`, password: `wrong ${i}` } });
    }
    answers.push(["429", guessed]);
    for (const [status, answer] of answers) {
      assert.equal(String(answer.status()), status);
      await page.goto(`${base}/login`);
      await page.setContent(await answer.text());
      await audit(page, `the ${status} page`);
    }
    await context.close();
  });
}
