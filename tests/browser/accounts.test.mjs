import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, signUp, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();

test("sign up, log out, fail to log in, log in", async () => {
  const page = await env.browser.newPage();
  await signUp(page, env.server.base, "alice", "Alice Martin");
  await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "Welcome, Alice Martin" }).waitFor());
  assert.match(await page.getByRole("status").innerText(), /Your account is ready/);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(`${env.server.base}/login`);

  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill("wrong password!");
  await page.getByRole("button", { name: "Log in" }).click();
  assert.match(await page.locator("main").innerText(), /Wrong username or password/);
  assert.equal(await page.getByLabel("Username").inputValue(), "alice", "the username is kept");

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${env.server.base}/`);
  await page.close();
});

test("edit the profile and find another user", async () => {
  const bob = await env.browser.newPage();
  await signUp(bob, env.server.base, "bob", "Bob Builder");
  await bob.close();

  const page = await env.browser.newPage();
  await signUp(page, env.server.base, "carol", "Carol");
  await page.getByRole("link", { name: "Your profile" }).click();
  await page.getByLabel("Display name").fill("");
  await page.getByRole("button", { name: "Save profile" }).click();
  const nameField = page.getByLabel("Display name");
  assert.equal(await nameField.getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#display_name-error").innerText(), /enter a display name/);
  assert.ok((await nameField.getAttribute("aria-describedby")).includes("display_name-error"));

  await nameField.fill("Carol Danvers");
  await page.getByLabel("About you").fill("Pilot.\nLikes cats.");
  await page.getByRole("button", { name: "Save profile" }).click();
  assert.match(await page.getByRole("status").innerText(), /profile has been saved/);

  // Live search: results appear as one types, without submitting.
  await page.getByRole("link", { name: "Find people", exact: true }).click();
  await page.getByLabel("Name or username").pressSequentially("build");
  await page.getByRole("link", { name: /Bob Builder/ }).waitFor({ timeout: 5000 });
  assert.match(page.url(), /q=build/, "the address follows the search");
  await page.getByRole("link", { name: /Bob Builder/ }).click();
  await page.getByRole("heading", { level: 1, name: "Bob Builder" }).waitFor();
  await page.close();
});

test("pages fit a 360 px phone and sit side by side at 1024 px", async () => {
  const context = await env.browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await signUp(page, env.server.base, "dave", "Dave");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no horizontal scrolling at 360 px");
  const nav = page.getByRole("navigation", { name: "Conversations" });
  const main = page.locator("main");
  const narrow = [await nav.boundingBox(), await main.boundingBox()];
  assert.ok(narrow[1].y >= narrow[0].y + narrow[0].height - 1, "stacked in one column");
  // In a conversation on the phone, the list is one tap away.
  await page.locator("#conversation-list a").first().click();
  await page.waitForURL(/\/c\/\d+$/);
  const back = page.getByRole("link", { name: "All conversations" });
  assert.equal(await back.isVisible(), true, "a way back to the list");
  await back.click();
  await page.waitForURL(`${env.server.base}/`);
  await page.setViewportSize({ width: 1024, height: 768 });
  const wide = [await nav.boundingBox(), await main.boundingBox()];
  assert.ok(wide[1].x >= wide[0].x + wide[0].width - 1, "side by side");
  await page.locator("#conversation-list a").first().click();
  await page.waitForURL(/\/c\/\d+$/);
  assert.equal(await back.isVisible(), false, "beside the list, no need for it");
  if (process.env.BAVARD_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.BAVARD_SCREENSHOTS}/home-1024.png` });
  }
  await context.close();
});

test("keyboard users can skip to the content and see where focus is", async () => {
  const page = await env.browser.newPage();
  await page.goto(`${env.server.base}/login`);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true);
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, "none", "focus is visible");
  await page.close();
});

test("the profile offers notifications for when Bavard is closed, and says why when the browser refuses", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signUp(page, env.server.base, "nadia", "Nadia");
  await page.goto(`${env.server.base}/profile`);
  const section = page.getByRole("region", { name: "Notifications when Bavard is closed" });
  assert.match(await section.innerText(), /No browser gets them yet/);
  await page.evaluate(() => {
    // As a person who blocked notifications for the site answers the browser's question.
    Notification.requestPermission = async () => "denied";
  });
  await section.getByRole("button", { name: "Turn them on in this browser" }).click();
  await page.getByRole("status").filter({ hasText: "refuses notifications" }).waitFor({ timeout: 3000 });
  await context.close();
});
