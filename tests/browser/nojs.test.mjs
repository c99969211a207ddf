import { test } from "node:test";
import assert from "node:assert/strict";
import { signUp, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();

test("everything works with JavaScript turned off", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const other = await context.newPage();
  await signUp(other, env.server.base, "erin", "Erin Brockovich");
  await other.getByRole("button", { name: "Log out" }).click();
  // Closing a page while its navigation commits can hang Chromium's close forever
  // (crbug.com/536385539), so let the logout land first.
  await other.waitForURL(`${env.server.base}/login`);
  await other.close();

  const page = await context.newPage();
  await signUp(page, env.server.base, "frank", "Frank");
  await page.getByRole("link", { name: "Your profile" }).click();
  await page.getByLabel("About you").fill("No scripts here.");
  await page.getByRole("button", { name: "Save profile" }).click();
  assert.match(await page.getByRole("status").innerText(), /profile has been saved/);

  await page.getByRole("link", { name: "Find people", exact: true }).click();
  await page.getByLabel("Name or username").fill("erin");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: /Erin Brockovich/ }).click();
  await page.getByRole("heading", { level: 1, name: "Erin Brockovich" }).waitFor();

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(`${env.server.base}/login`);
  await context.close();
});
