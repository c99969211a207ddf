import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();

// Presses Tab until the focused element is the one `matches` recognises (given the element's
// tag, text, label and name), as a keyboard user would; fails if it never comes.
async function tabTo(page, description, matches, most = 80) {
  for (let i = 0; i < most; i += 1) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el && el.labels && el.labels[0] ? el.labels[0].innerText : "";
      return el ? { tag: el.tagName, text: (el.innerText || "").trim(), label, name: el.name || "", visible: el.matches(":focus-visible") } : null;
    });
    if (focused && matches(focused)) {
      assert.ok(focused.visible, `${description}: focus is visible`);
      return;
    }
  }
  assert.fail(`${description}: not reached with Tab`);
}

test("sign up, open a conversation, send, edit and delete with the keyboard alone", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto(`${env.server.base}/signup`);

  await tabTo(page, "username", (f) => f.label === "Username");
  await page.keyboard.type("keys");
  await tabTo(page, "display name", (f) => f.label === "Display name");
  await page.keyboard.type("Kay Board");
  await tabTo(page, "password", (f) => f.label === "Password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${env.server.base}/`);

  await tabTo(page, "the welcome conversation", (f) => f.tag === "A" && f.text.includes("Welcome"));
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/c\/\d+$/);
  await tabTo(page, "the composer", (f) => f.label === "Message");
  await page.keyboard.type("typed without a mouse");
  await page.keyboard.press("Enter");
  const mine = page.locator("#log li", { hasText: "typed without a mouse" });
  await mine.waitFor({ timeout: 2000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), "body", "focus stays in the composer");

  await tabTo(page, "the message's actions", (f) => f.tag === "SUMMARY" && f.text === "Message actions");
  await page.keyboard.press("Enter");
  await tabTo(page, "edit", (f) => f.tag === "A" && f.text === "Edit");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/edit$/);
  await tabTo(page, "the message being edited", (f) => f.label === "Message");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type("edited by keyboard");
  await tabTo(page, "save", (f) => f.tag === "BUTTON" && f.text === "Save changes");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/c\/\d+#m\d+$/);
  await page.locator("#log li", { hasText: "edited by keyboard" }).waitFor();

  await tabTo(page, "the message's actions", (f) => f.tag === "SUMMARY" && f.text === "Message actions");
  await page.keyboard.press("Enter");
  await tabTo(page, "delete", (f) => f.tag === "BUTTON" && f.text === "Delete");
  // Escape closes the menu and gives focus back to its button; Enter opens it again.
  await page.keyboard.press("Escape");
  assert.deepEqual(
    await page.evaluate(() => [document.activeElement.tagName, document.activeElement.closest("details").open]),
    ["SUMMARY", false],
  );
  await page.keyboard.press("Enter");
  await tabTo(page, "delete", (f) => f.tag === "BUTTON" && f.text === "Delete");
  await page.keyboard.press("Enter");
  await page.locator("#log li .tombstone").waitFor();
  assert.equal(await page.locator("#log li", { hasText: "edited by keyboard" }).count(), 0);
  await context.close();
});
