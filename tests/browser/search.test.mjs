import { test } from "node:test";
import assert from "node:assert/strict";
import { signUp, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();

test("search a word without its accent, see results as you type, land on the message", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signUp(page, env.server.base, "zoe", "Zoé");
  await page.locator("#conversation-list a").first().click();
  const box = page.getByLabel("Message", { exact: true });
  await box.fill("On se retrouve au café à midi ?");
  await box.press("Enter");
  await page.locator("#log li", { hasText: "café à midi" }).waitFor({ timeout: 2000 });

  await page.getByRole("link", { name: "Search messages" }).click();
  const query = page.getByLabel("Words to find");
  await query.pressSequentially("cafe mi");
  const hit = page.locator(".search-hit a", { hasText: "midi" });
  await hit.waitFor({ timeout: 2000 });
  assert.equal(await page.locator(".search-hit mark").first().innerText(), "café");
  assert.match(page.url(), /q=cafe/, "the address follows the search, so it can be shared or reloaded");

  await hit.click();
  const target = page.locator("li.msg:target");
  await target.waitFor({ timeout: 2000 });
  assert.match(await target.innerText(), /café à midi/);
  await context.close();
});
