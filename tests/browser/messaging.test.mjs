import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { signUp, startServer, withServerAndBrowser } from "./helpers.mjs";

const TINY_PNG = fileURLToPath(new URL("../../../shared/corpus/files/tiny.png", import.meta.url));

const env = withServerAndBrowser(["--poll-hold", "20"]);

async function person(username, name) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signUp(page, env.server.base, username, name);
  return { context, page };
}

async function send(page, text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

test("two people chat live, and focus stays in the cleared composer", async () => {
  const alice = await person("alice", "Alice");
  const bob = await person("bob", "Bob");

  await bob.page.goto(`${env.server.base}/u/alice`);
  await bob.page.getByRole("button", { name: "Message Alice" }).click();
  await bob.page.getByRole("heading", { level: 1, name: "Alice" }).waitFor();
  await send(bob.page, "Hi Alice, are you there?");
  await bob.page.locator("#messages li", { hasText: "Hi Alice, are you there?" }).waitFor({ timeout: 2000 });

  // Alice sees the new conversation arrive in her list without reloading, with its badge.
  const entry = alice.page.getByRole("link", { name: /Bob/ }).first();
  await entry.waitFor({ timeout: 2000 });
  assert.match(await alice.page.locator("#conversation-list").innerText(), /Hi Alice/);
  await entry.click();
  await alice.page.getByRole("heading", { level: 1, name: "Bob" }).waitFor();

  const started = Date.now();
  await send(alice.page, "Yes! Line one");
  const box = alice.page.getByLabel("Message", { exact: true });
  await alice.page.waitForFunction(() => document.querySelector("#composer textarea").value === "", null, { timeout: 2000 });
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, "focus stays in the composer");
  await bob.page.locator("#log li", { hasText: "Yes! Line one" }).waitFor({ timeout: 2000 });
  assert.ok(Date.now() - started < 2000, "seen by Bob within 2 s, without reloading");

  // Shift+Enter adds a line instead of sending.
  await box.fill("first line");
  await box.press("Shift+Enter");
  await box.type("second line");
  assert.equal(await box.inputValue(), "first line\nsecond line");
  await box.press("Enter");
  await bob.page.locator("#log li", { hasText: "second line" }).waitFor({ timeout: 2000 });
  // The sender's own copy arrives through the sender's poll too.
  await alice.page.locator("#log li", { hasText: "second line" }).waitFor({ timeout: 2000 });

  // Messages in a row by one author form one block: the name shows once visually.
  const visibleAuthors = await alice.page.locator("#messages li.msg:not(.continued) .author").allInnerTexts();
  assert.deepEqual(visibleAuthors, ["Bob", "Alice"]);
  // Only one's own messages offer edit and delete.
  await alice.page.locator("#messages li", { hasText: "second line" }).getByText("Message actions").waitFor({ timeout: 3000 });
  assert.equal(await alice.page.locator("#messages li", { hasText: "Hi Alice" }).getByText("Message actions").isVisible(), false);

  if (process.env.BAVARD_SCREENSHOTS) {
    await alice.page.setViewportSize({ width: 1024, height: 700 });
    await alice.page.screenshot({ path: `${process.env.BAVARD_SCREENSHOTS}/conversation-1024.png` });
    await alice.page.setViewportSize({ width: 360, height: 700 });
    await alice.page.screenshot({ path: `${process.env.BAVARD_SCREENSHOTS}/conversation-360.png` });
  }
  await alice.context.close();
  await bob.context.close();
});

test("what is typed while a message is still being sent stays in the composer, and is sent after it", async () => {
  const vera = await person("vera", "Vera");
  await person("walt", "Walt");
  await vera.page.goto(`${env.server.base}/u/walt`);
  await vera.page.getByRole("button", { name: "Message Walt" }).click();
  await vera.page.getByRole("heading", { level: 1, name: "Walt" }).waitFor();
  const box = vera.page.getByLabel("Message", { exact: true });
  const answered = () => vera.page.waitForFunction(() => !document.querySelector("#composer.htmx-request"));

  // Answers to sends are held until released: each message is stored and reaches the log by
  // poll first, and Vera goes on typing before the answer's fresh composer arrives.
  let release = () => {};
  await vera.page.route(/\/c\/\d+\/messages$/, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    const held = new Promise((resolve) => (release = resolve));
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });
  await send(vera.page, "first of three");
  assert.equal(await box.inputValue(), "", "the composer empties as the message leaves");
  await vera.page.locator("#log li", { hasText: "first of three" }).waitFor({ timeout: 10_000 });
  await box.press("Enter");
  await box.pressSequentially("and the sec");
  await vera.page.locator("#files").setInputFiles(TINY_PNG);
  release();
  await answered();
  assert.equal(await box.inputValue(), "and the sec", "the fresh composer keeps what was typed meanwhile");
  assert.deepEqual(await vera.page.locator("#files").evaluate((el) => [...el.files].map((f) => f.name)), ["tiny.png"],
    "and the picture chosen meanwhile");
  // (This route's fetch would not carry a file: the rest goes on with text only.)
  await vera.page.locator("#files").setInputFiles([]);
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, "and typing goes on there");

  await box.pressSequentially("ond");
  await box.press("Enter");
  await vera.page.locator("#log li", { hasText: "and the second" }).waitFor({ timeout: 10_000 });
  await box.pressSequentially("third, sent before the second's answer");
  await box.press("Enter");
  release();
  await vera.page.locator("#log li", { hasText: "third, sent before" }).waitFor({ timeout: 10_000 });
  release();
  await answered();
  assert.equal(await box.inputValue(), "");
  const texts = await vera.page.locator("#log li.msg .msg-body").allInnerTexts();
  assert.equal(texts.length, 3, `Enter on an empty composer sent nothing: ${texts}`);
  assert.equal(await vera.page.locator("#alerts").innerText(), "", "and said nothing");
  // A handler still between its fetch and its fulfil when the route goes would throw later,
  // outside any test ("Route is already handled!"), and fail the whole file.
  await vera.page.unrouteAll({ behavior: "ignoreErrors" });

  // A message that never reached the server comes back to the composer.
  await vera.page.route(/\/c\/\d+\/messages$/, (route) =>
    route.request().method() === "POST" ? route.abort() : route.continue());
  await vera.page.locator("#files").setInputFiles(TINY_PNG);
  await send(vera.page, "lost on the way");
  await vera.page.waitForFunction(() => document.querySelector("#composer textarea").value === "lost on the way");
  assert.equal(await vera.page.locator("#files").evaluate((el) => el.files.length), 1, "with its picture");
  await vera.page.unrouteAll({ behavior: "ignoreErrors" });
});

test("a group of three, with an edit seen live and the log announced politely", async () => {
  const carol = await person("carol", "Carol");
  const dave = await person("dave", "Dave");
  const erin = await person("erin", "Erin");

  await carol.page.getByRole("link", { name: "New group" }).first().click();
  await carol.page.getByLabel("Group name").fill("Book club");
  await carol.page.getByLabel("Name or username").fill("dave");
  await carol.page.getByRole("button", { name: "Search" }).click();
  await carol.page.getByRole("checkbox", { name: /Dave/ }).check();
  await carol.page.getByLabel("Name or username").fill("erin");
  await carol.page.getByRole("button", { name: "Search" }).click();
  assert.equal(await carol.page.getByLabel("Members").inputValue(), "dave", "a ticked person stays picked across searches");
  await carol.page.getByRole("checkbox", { name: /Erin/ }).check();
  await carol.page.getByRole("button", { name: "Create group" }).click();
  await carol.page.getByRole("heading", { level: 1, name: "Book club" }).waitFor();

  for (const other of [dave, erin]) {
    await other.page.getByRole("link", { name: /Book club/ }).click();
    await other.page.getByRole("heading", { level: 1, name: "Book club" }).waitFor();
  }
  const log = dave.page.getByRole("log");
  assert.equal(await log.count(), 1, "a labelled log region");
  assert.match(await log.getAttribute("aria-labelledby"), /log-label/);

  await send(carol.page, "Chapter one tonight?");
  await send(dave.page, "Count me in");
  for (const reader of [carol, dave, erin]) {
    await reader.page.locator("#log li", { hasText: "Chapter one tonight?" }).waitFor({ timeout: 2000 });
    await reader.page.locator("#log li", { hasText: "Count me in" }).waitFor({ timeout: 2000 });
  }

  const daves = dave.page.locator("#messages li", { hasText: "Count me in" });
  await daves.getByText("Message actions").click();
  await daves.getByRole("link", { name: "Edit" }).click();
  await dave.page.getByLabel("Message", { exact: true }).fill("Count me in, with cake");
  await dave.page.getByRole("button", { name: "Save changes" }).click();
  await erin.page.locator("#log li", { hasText: "with cake" }).waitFor({ timeout: 2000 });
  assert.match(await erin.page.locator("#log li", { hasText: "with cake" }).innerText(), /edited/);
  const timeHidden = await erin.page.locator("#log li.msg time").first().getAttribute("aria-hidden");
  assert.equal(timeHidden, "true", "timestamps are not announced with each message");

  for (const p of [carol, dave, erin]) await p.context.close();
});

test("a reaction arrives live in the other browser, in place, and a second click takes it back", async () => {
  const rita = await person("rita", "Rita");
  const sam = await person("sam", "Sam");
  await rita.page.goto(`${env.server.base}/u/sam`);
  await rita.page.getByRole("button", { name: "Message Sam" }).click();
  await rita.page.waitForURL(/\/c\/\d+$/);
  await send(rita.page, "Pizza tonight?");
  await sam.page.goto(rita.page.url());
  const message = sam.page.locator("#log li", { hasText: "Pizza tonight?" });
  await message.waitFor();
  // Her own message reaches her log by her poll (and the page puts its day heading before it
  // a moment later): count messages once hers is there.
  await rita.page.locator("#log li", { hasText: "Pizza tonight?" }).waitFor();
  const entries = await rita.page.locator("#messages > li.msg").count();
  // Every change of the log counted from here: a reaction must change none of its messages.
  await rita.page.evaluate(() => {
    window.logChanges = 0;
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) if (node instanceof Element && node.matches("li.msg")) window.logChanges += 1;
      }
    }).observe(document.getElementById("messages"), { childList: true });
  });

  await message.getByText("React", { exact: true }).click();
  await message.getByRole("button", { name: "React with thumbs up" }).click();
  const ritas = rita.page.locator("#log li", { hasText: "Pizza tonight?" });
  const chip = ritas.getByRole("button", { name: "One person reacted with thumbs up" });
  await chip.waitFor({ timeout: 2000 });
  assert.equal(await chip.getAttribute("title"), "Sam", "who reacted, on hover");
  assert.equal(await message.locator("details.react").getAttribute("open"), null, "the picker closed once a reaction was chosen");
  assert.equal(await rita.page.locator("#messages > li.msg").count(), entries, "no new entry in her log");
  assert.equal(await rita.page.evaluate(() => window.logChanges), 0, "and no entry drawn again");
  await ritas.getByText("Who reacted").click();
  assert.match(await ritas.locator("details.reacted-by").innerText(), /thumbs up: Sam/);

  await message.getByRole("button", { name: "One person reacted with thumbs up" }).click();
  await chip.waitFor({ state: "detached", timeout: 2000 });
  assert.equal(await ritas.locator(".reaction").count(), 0, "taken back, for her too");
  await rita.context.close();
  await sam.context.close();
});

test("typing shows under the other person's log, with few requests, and ends when the message is sent", async () => {
  const tessa = await person("tessa", "Tessa");
  const ulla = await person("ulla", "Ulla");
  await tessa.page.goto(`${env.server.base}/u/ulla`);
  await tessa.page.getByRole("button", { name: "Message Ulla" }).click();
  await tessa.page.waitForURL(/\/c\/\d+$/);
  await ulla.page.goto(tessa.page.url());
  let said = 0;
  tessa.page.on("request", (request) => { if (request.url().endsWith("/typing")) said += 1; });
  await tessa.page.locator("#body").pressSequentially("Are you coming to the meeting", { delay: 40 });
  const status = ulla.page.getByRole("status").filter({ hasText: "Tessa is typing…" });
  await status.waitFor({ timeout: 3000 });
  assert.ok(await ulla.page.locator("#log").getByText("is typing").count() === 0, "outside the log");
  assert.ok(said >= 1 && said <= 2, `one request per few seconds of typing, not per key: ${said}`);
  await tessa.page.locator("#body").press("Enter");
  await ulla.page.locator("#log li", { hasText: "Are you coming to the meeting" }).waitFor({ timeout: 3000 });
  assert.equal((await ulla.page.locator("#typing").innerText()).trim(), "", "it ended with the message");
  await tessa.context.close();
  await ulla.context.close();
});

test("a reply quotes the message it answers, live, and its quote leads back to it", async () => {
  const uma = await person("uma", "Uma");
  const vic = await person("vic", "Vic");
  await uma.page.goto(`${env.server.base}/u/vic`);
  await uma.page.getByRole("button", { name: "Message Vic" }).click();
  await uma.page.waitForURL(/\/c\/\d+$/);
  // The question arrives live: its menus are put in place after it, and must work all the same.
  await vic.page.goto(uma.page.url());
  await send(uma.page, "Who brings the cake?");
  const original = vic.page.locator("#log li", { hasText: "Who brings the cake?" });
  await original.waitFor({ timeout: 2000 });
  const box = vic.page.getByLabel("Message", { exact: true });
  await box.fill("Me");
  await vic.page.evaluate(() => { window.samePage = true; });
  await original.getByRole("link", { name: "Reply" }).click();
  await vic.page.locator("#composer .replying", { hasText: "Replying to Uma: Who brings the cake?" }).waitFor({ timeout: 2000 });
  assert.equal(await vic.page.evaluate(() => window.samePage), true, "only the composer was redrawn, not the page");
  assert.equal(await box.inputValue(), "Me", "what was typed stays");
  assert.equal(await vic.page.evaluate(() => document.activeElement.id), "body", "typing goes on in the composer");
  await box.fill("I do!");
  await box.press("Enter");
  await vic.page.waitForFunction(() => !document.querySelector("#composer .replying"), null, { timeout: 2000 });

  const reply = uma.page.locator("#log li", { hasText: "I do!" });
  await reply.waitFor({ timeout: 2000 });
  const quote = reply.getByRole("link", { name: "In reply to Uma: Who brings the cake?" });
  await quote.waitFor();
  await quote.click();
  await uma.page.waitForFunction(() => /#m\d+$/.test(location.hash) && document.querySelector(".msg:target"), null, { timeout: 2000 });
  assert.match(await uma.page.locator(".msg:target").innerText(), /Who brings the cake\?/, "the quote leads to the original on the page");
  await uma.context.close();
  await vic.context.close();
});

test("@ and a name's start offer the members; the one mentioned sees the message stand out", async () => {
  const tara = await person("tara", "Tara");
  const will = await person("will", "Will");
  await will.page.goto(`${env.server.base}/u/tara`);
  await will.page.getByRole("button", { name: "Message Tara" }).click();
  await will.page.waitForURL(/\/c\/\d+$/);
  const box = will.page.getByLabel("Message", { exact: true });
  await box.pressSequentially("Ready, @ta");
  const option = will.page.getByRole("option", { name: "Tara (@tara)" });
  await option.waitFor({ timeout: 2000 });
  assert.equal(await option.getAttribute("aria-selected"), "true");
  await box.press("Enter");
  assert.equal(await box.inputValue(), "Ready, @tara ", "Enter takes the name rather than sending");
  await box.pressSequentially("?");
  await box.press("Enter");

  await tara.page.goto(will.page.url());
  const message = tara.page.locator("#log li", { hasText: "Ready, @tara ?" });
  await message.waitFor();
  assert.equal(await message.getByRole("link", { name: "@tara" }).getAttribute("href"), "/u/tara");
  const stands = (li) => li.evaluate((el) => getComputedStyle(el).boxShadow.includes("inset"));
  assert.equal(await stands(message), true, "it stands out for Tara");
  assert.equal(await stands(will.page.locator("#log li", { hasText: "Ready, @tara ?" })), false, "not for the one who wrote it");
  await tara.context.close();
  await will.context.close();
});

// The tab in the background, and the browser's notifications, stood in for so that what the
// page asks of them can be read back.
async function inBackgroundTab(username, name) {
  const context = await env.browser.newContext();
  await context.addInitScript(() => {
    let hidden = false;
    window.told = [];
    window.setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event("visibilitychange"));
    };
    Object.defineProperty(document, "hidden", { get: () => hidden });
    Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
    window.Notification = class {
      static permission = "granted";
      static requestPermission() { return Promise.resolve("granted"); }
      constructor(title, options) { window.told.push({ title, body: options.body }); }
    };
  });
  const page = await context.newPage();
  await signUp(page, env.server.base, username, name);
  return { context, page };
}

test("in a background tab the title counts what asks for attention, and direct messages and mentions notify", async () => {
  const xena = await inBackgroundTab("xena", "Xena");
  const yuri = await person("yuri", "Yuri");
  const zed = await person("zed", "Zed");
  await zed.page.goto(`${env.server.base}/c/new`);
  await zed.page.getByLabel("Group name").fill("Crew");
  await zed.page.getByLabel("Members").fill("xena");
  await zed.page.getByRole("button", { name: "Create group" }).click();
  await zed.page.getByRole("heading", { level: 1, name: "Crew" }).waitFor();
  await yuri.page.goto(`${env.server.base}/u/xena`);
  await yuri.page.getByRole("button", { name: "Message Xena" }).click();
  await yuri.page.waitForURL(/\/c\/\d+$/);
  await send(yuri.page, "hello there");

  await xena.page.goto(zed.page.url());
  await xena.page.getByRole("heading", { level: 1, name: "Crew" }).waitFor();
  const title = () => xena.page.evaluate(() => document.title);
  const told = () => xena.page.evaluate(() => window.told);
  assert.match(await title(), /^\(1\) Crew/, "the unread direct message counts");
  await xena.page.evaluate(() => window.setHidden(true));

  await send(yuri.page, "psst");
  await xena.page.waitForFunction(() => document.title.startsWith("(2) "), null, { timeout: 3000 });
  await xena.page.waitForFunction(() => window.told.length === 1, null, { timeout: 3000 });
  assert.deepEqual(await told(), [{ title: "Yuri", body: "Yuri: psst" }]);

  await send(zed.page, "plain crew news");
  await xena.page.waitForFunction(() => document.title.startsWith("(3) "), null, { timeout: 3000 });
  assert.equal((await told()).length, 1, "a plain group message is counted, not notified");
  await send(zed.page, "@xena your shift");
  await xena.page.waitForFunction(() => window.told.length === 2, null, { timeout: 3000 });
  assert.deepEqual((await told())[1], { title: "Crew", body: "Zed: @xena your shift" });
  assert.match(await title(), /^\(4\) Crew/);

  await xena.page.evaluate(() => window.setHidden(false));
  await xena.page.waitForFunction(() => document.title.startsWith("(2) "), null, { timeout: 3000 });

  // Muted: the direct conversation keeps its count, but asks for nothing.
  await xena.page.getByRole("link", { name: /Yuri/ }).click();
  await xena.page.getByText("Notifications: every message").click();
  await xena.page.getByLabel("Nothing").check();
  await xena.page.getByRole("button", { name: "Save" }).click();
  await xena.page.getByText("Notifications: off").waitFor();
  await xena.page.goto(zed.page.url());
  await xena.page.evaluate(() => window.setHidden(true));
  await send(yuri.page, "are you there?");
  await xena.page.locator("#conversation-list li", { hasText: "are you there?" }).waitFor({ timeout: 3000 });
  assert.equal((await told()).length, 0, "nothing told on this page");
  assert.equal(await title(), "Crew · Bavard", "nothing counted");
  for (const p of [xena, yuri, zed]) await p.context.close();
});

test("day headings fall on the reader's own days, put right by the page and then by the server", async () => {
  // A zone where today is another date than in UTC, whatever the hour of the run.
  const utcHour = new Date().getUTCHours();
  const timezoneId = utcHour >= 12 ? "Pacific/Kiritimati" : "Etc/GMT+12";
  const bob = await person("hal", "Hal");
  const context = await env.browser.newContext({ timezoneId });
  const page = await context.newPage();
  await signUp(page, env.server.base, "ida", "Ida");
  await page.goto(`${env.server.base}/u/hal`);
  await page.getByRole("button", { name: "Message Hal" }).click();
  await page.getByRole("heading", { level: 1, name: "Hal" }).waitFor();
  const conversation = page.url();
  await send(page, "Morning, Hal");
  await page.locator("#messages li", { hasText: "Morning, Hal" }).waitFor({ timeout: 2000 });

  // Without the cookie the server draws UTC days; the page moves them to the reader's.
  await context.clearCookies({ name: "tz" });
  await page.goto(conversation);
  const localToday = await page.evaluate(() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  });
  assert.notEqual(localToday, new Date().toISOString().slice(0, 10), "the zone's date differs from UTC's");
  const headings = page.locator("#messages li.day time");
  assert.deepEqual(await headings.evaluateAll((els) => els.map((e) => [e.dateTime, e.textContent])), [[localToday, "Today"]]);
  const offset = await page.evaluate(() => String(-new Date().getTimezoneOffset()));
  assert.equal((await context.cookies()).find((c) => c.name === "tz")?.value, offset);

  // A live message of the same day joins it without a heading of its own.
  await bob.page.goto(`${env.server.base}/u/ida`);
  await bob.page.getByRole("button", { name: "Message Ida" }).click();
  await send(bob.page, "Evening, Ida");
  await page.locator("#messages li", { hasText: "Evening, Ida" }).waitFor({ timeout: 2000 });
  assert.equal(await headings.count(), 1);
  // Hal's message starts his own block, so his name shows; a heading between would show it too.
  assert.equal(await page.locator("#messages li.msg", { hasText: "Evening, Ida" }).locator(".author").isVisible(), true);

  // From the cookie, the server now draws the same days itself.
  const drawn = await (await page.request.get(conversation)).text();
  assert.match(drawn, new RegExp(`<time datetime="${localToday}" data-local="day">Today</time>`));

  await context.close();
  await bob.context.close();
});

test("a new display name shows on the others' open page without reloading, in the heading and the tab's title too", async () => {
  const jo = await person("josie", "Jo");
  const kim = await person("kimmy", "Kim");
  await kim.page.goto(`${env.server.base}/u/josie`);
  await kim.page.getByRole("button", { name: "Message Jo" }).click();
  await kim.page.getByRole("heading", { level: 1, name: "Jo" }).waitFor();
  await send(kim.page, "Hello Jo");
  await jo.page.getByRole("link", { name: /Kim/ }).first().click();
  await jo.page.locator("#messages li", { hasText: "Hello Jo" }).waitFor();
  await send(jo.page, "Hi Kim");
  await kim.page.locator("#messages li", { hasText: "Hi Kim" }).waitFor({ timeout: 2000 });

  await jo.page.goto(`${env.server.base}/profile`);
  await jo.page.getByLabel("Display name").fill("Jo March");
  await jo.page.getByRole("button", { name: "Save profile" }).click();
  await jo.page.waitForURL(`${env.server.base}/profile`);
  const author = kim.page.locator("#messages li", { hasText: "Hi Kim" }).locator(".author");
  await author.filter({ hasText: "Jo March" }).waitFor({ timeout: 2000 });
  await kim.page.locator("#conversation-list", { hasText: "Jo March" }).waitFor({ timeout: 2000 });
  // The direct conversation is named after her: its heading and the tab's title follow.
  await kim.page.getByRole("heading", { level: 1, name: "Jo March" }).waitFor({ timeout: 2000 });
  assert.equal(await kim.page.title(), "Jo March · Bavard");
  assert.equal(await kim.page.locator("#messages li", { hasText: "Hi Kim" }).locator(".avatar").innerText(), "JM");
  for (const p of [jo, kim]) await p.context.close();
});

test("the page says it is reconnecting when the server goes away", async () => {
  const own = await startServer(["--poll-hold", "20"]);
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signUp(page, own.base, "frank", "Frank");
  await own.stop();
  const status = page.locator("#connection");
  await status.filter({ hasText: /reconnecting/i }).waitFor({ timeout: 5000 });
  assert.equal(await status.getAttribute("role"), "status");
  await context.close();
});

test("without JavaScript, sending works and a link checks for new messages", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUp(page, env.server.base, "gina", "Gina");
  const helper = await person("hank", "Hank");
  await page.goto(`${env.server.base}/u/hank`);
  await page.getByRole("button", { name: "Message Hank" }).click();
  await page.getByLabel("Message", { exact: true }).fill("No scripts, still chatting");
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForURL(/\/c\/\d+#m\d+$/); // redirected to the message
  await page.locator("#log li", { hasText: "No scripts, still chatting" }).waitFor();

  await helper.page.goto(page.url().split("#")[0]);
  await send(helper.page, "Reply from Hank");
  await helper.page.locator("#log li", { hasText: "Reply from Hank" }).waitFor({ timeout: 2000 });
  await page.getByRole("link", { name: "Check for new messages" }).click();
  const reply = page.locator("#log li", { hasText: "Reply from Hank" });
  await reply.waitFor();
  // Reacting leads to the message's reactions page, whose buttons are a form: the conversation
  // comes back with the reaction on the message.
  await reply.getByText("React", { exact: true }).click();
  await reply.getByRole("link", { name: "Choose a reaction" }).click();
  await page.getByRole("heading", { name: "Reactions to a message" }).waitFor();
  await page.getByRole("button", { name: "React with heart" }).click();
  await page.waitForURL(/\/c\/\d+#m\d+$/);
  await page.locator("#log li", { hasText: "Reply from Hank" })
    .getByRole("button", { name: "One person reacted with heart" }).waitFor();
  await helper.context.close();
  await context.close();
});

test("when the host refuses held polls, the page falls back to short polling", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  let refused = false;
  const polls = [];
  // As CloudLinux answers when the account's entry processes are all taken.
  await page.route(/\/poll\?/, async (route) => {
    polls.push(route.request().url());
    if (!refused) {
      refused = true;
      await route.fulfill({ status: 508, body: "Resource Limit Is Reached" });
    } else {
      await route.continue();
    }
  });
  await signUp(page, env.server.base, "ivan", "Ivan");
  await page.waitForResponse((res) => /\/poll\?/.test(res.url()) && res.status() === 200, {
    timeout: 20_000,
  });
  assert.ok(refused, "the first poll was refused");
  assert.match(polls.at(-1), /[?&]wait=0(&|$)/, `asks not to be held: ${polls.at(-1)}`);
  const poller = await page.locator("#poller").getAttribute("hx-trigger");
  assert.match(poller, /delay:1500ms/, "and the server tells it to pause between polls");
  // Back to normal: the "reconnecting" notice goes away.
  await page.waitForFunction(() => document.getElementById("connection").textContent === "", null, {
    timeout: 5000,
  });
  // A poll still on its way would otherwise be continued after its page has closed.
  await page.unrouteAll({ behavior: "ignoreErrors" });
  await context.close();
});
