// Shared set-up for the browser tests: a real bavard process on loopback with a fresh data
// folder, and Debian's Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const PASSWORD = "correct horse battery";

export async function startServer(extraArgs = []) {
  const bin = process.env.BAVARD_BIN;
  if (!bin) throw new Error("BAVARD_BIN must name the bavard binary (the cargo test sets it)");
  const data = mkdtempSync(join(tmpdir(), "bavard-browser-"));
  const child = spawn(bin, ["serve", "--bind", "127.0.0.1:0", "--data", data, ...extraArgs], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines = createInterface({ input: child.stderr });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bavard did not start within 10 s")), 10_000);
    lines.on("line", (line) => {
      const found = line.match(/listening on (http:\/\/[0-9.:]+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`bavard exited early with ${code}`)));
  });
  return {
    base,
    data,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill();
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from reaching for it.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function signUp(page, base, username, displayName) {
  await page.goto(`${base}/signup`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${base}/`);
}

// Registers the file's set-up and tear-down: one server (with `extraArgs`) and one browser for
// all of its tests. Read `env.server` and `env.browser` inside tests.
export function withServerAndBrowser(extraArgs = []) {
  const env = {};
  before(async () => {
    env.server = await startServer(extraArgs);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
