import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { signUp, withServerAndBrowser } from "./helpers.mjs";

const env = withServerAndBrowser();
// The shared corpus lies beside the checkout (CI lays it there).
const TINY_PNG = fileURLToPath(new URL("../../../shared/corpus/files/tiny.png", import.meta.url));

async function person(username, name) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signUp(page, env.server.base, username, name);
  return { context, page };
}

test("a picture attached through the file input shows live in the other person's browser", async () => {
  const alice = await person("alice", "Alice");
  const bob = await person("bob", "Bob");
  await bob.page.goto(`${env.server.base}/u/alice`);
  await bob.page.getByRole("button", { name: "Message Alice" }).click();
  await bob.page.getByRole("heading", { level: 1, name: "Alice" }).waitFor();
  await alice.page.goto(`${env.server.base}/u/bob`);
  await alice.page.getByRole("button", { name: "Message Bob" }).click();
  await alice.page.getByRole("heading", { level: 1, name: "Bob" }).waitFor();

  await alice.page.getByLabel("Attach files").setInputFiles(TINY_PNG);
  const started = Date.now();
  await alice.page.getByRole("button", { name: "Send" }).click();
  const thumbnail = bob.page.locator("#log img[alt='tiny.png']");
  await thumbnail.waitFor({ timeout: 2000 });
  assert.ok(Date.now() - started < 2000, "seen within 2 s, without reloading");
  await bob.page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumbnail.elementHandle());
  const link = bob.page.locator("#log a.thumb");
  assert.match(await link.getAttribute("href"), /^\/c\/\d+\/files\/\d+$/, "the thumbnail opens the picture");
  // The send's own answer brings the fresh composer; Bob's poll may have been quicker.
  await alice.page.waitForFunction(() => {
    const input = document.getElementById("files");
    return input !== null && input.value === "";
  }, null, { timeout: 5000 });

  // A file dropped on the composer joins the file input and is sent with the message.
  await alice.page.evaluate(() => {
    const dropped = new DataTransfer();
    dropped.items.add(new File(["agenda: files\n"], "agenda.txt", { type: "text/plain" }));
    const composer = document.getElementById("composer");
    composer.dispatchEvent(new DragEvent("drop", { dataTransfer: dropped, bubbles: true, cancelable: true }));
  });
  assert.equal(await alice.page.evaluate(() => document.getElementById("files").files.length), 1);
  const box = alice.page.getByLabel("Message", { exact: true });
  await box.fill("the agenda");
  await box.press("Enter");
  await bob.page.locator("#log a.file", { hasText: "agenda.txt" }).waitFor({ timeout: 2000 });
  await alice.context.close();
  await bob.context.close();
});

test("a new profile picture replaces the initials, and removing it brings them back", async () => {
  const carol = await person("carol", "Carol Diaz");
  await carol.page.goto(`${env.server.base}/profile`);
  assert.equal(await carol.page.locator(".profile-card img.avatar").count(), 0);
  await carol.page.getByLabel("Choose a picture").setInputFiles(TINY_PNG);
  await carol.page.getByRole("button", { name: "Use this picture" }).click();
  await carol.page.getByText("Your profile picture is saved.").waitFor();
  const picture = carol.page.locator(".profile-card img.avatar");
  assert.equal(await picture.getAttribute("alt"), "Carol Diaz");
  await carol.page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await picture.elementHandle());
  await carol.page.getByRole("button", { name: "Remove the picture" }).click();
  await carol.page.locator(".profile-card span.avatar", { hasText: "CD" }).waitFor();
  await carol.context.close();
});
