/**
 * index.html and the compare page in headless Chromium (Debian's chromium; .ci/run installs it): the tables
 * and charts are there, nothing is fetched from the network, no console errors; screenshots are saved under
 * test-artifacts/ for people to look at. Without Chromium the test fails when CI or MOEBENCH_REQUIRE_BROWSER
 * is set, and is skipped with a warning otherwise (never silently).
 */
import { describe, it, expect } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT, cli, tmp } from "../helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const truthy = (v: string | undefined): boolean => !!v && v !== "0" && v.toLowerCase() !== "false";
const REQUIRED = truthy(process.env.CI) || truthy(process.env.MOEBENCH_REQUIRE_BROWSER);
const HAVE = existsSync(CHROMIUM);
const MISSING = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`;

if (!HAVE && !REQUIRED)
  console.warn(`warning: browser test skipped: ${MISSING} (set MOEBENCH_REQUIRE_BROWSER=1 to fail instead)`);

async function withPage(fn: (page: Page, problems: { errors: string[]; requests: string[] }) => Promise<void>) {
  if (!HAVE) throw new Error(MISSING);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = { errors: [] as string[], requests: [] as string[] };
    page.on("console", (m) => {
      if (m.type() === "error") problems.errors.push(m.text());
    });
    page.on("pageerror", (e) => problems.errors.push(e.message));
    page.on("request", (q) => {
      if (!q.url().startsWith("file:")) problems.requests.push(q.url());
    });
    await fn(page, problems);
    expect(problems.errors).toEqual([]);
    expect(problems.requests).toEqual([]);
  } finally {
    await browser.close();
  }
}

const artifacts = (): string => {
  const d = join(ROOT, "test-artifacts");
  mkdirSync(d, { recursive: true });
  return d;
};

describe.skipIf(!HAVE && !REQUIRED)("HTML report and compare page in a browser", () => {
  const d = tmp();
  const f = join(d, "s.yaml");
  writeFileSync(
    f,
    "name: browser\nmodels:\n  - synth: lfm2-8b-a1b\n    scale: tiny\n    quants: [Q8_0, Q4_K_M]\n" +
      "  - synth: llama-3.1-8b\n    scale: tiny\n    quants: [Q8_0, Q4_K_M]\ntests: [pp64, tg16]\n" +
      "repetitions: {min: 3, max: 3}\n",
  );
  const env = { MOEBENCH_CACHE: join(d, "c") };

  it("the report: tables, MoE/dense pairs, claims, MOCK banner, charts; no console errors, no network", async () => {
    const run = join(d, "run");
    let r = cli(["run", f, "--executor", "mock", "--out", run], { env });
    expect(r.status, r.stderr).toBe(0);
    r = cli(["report", run, "--out", join(d, "rep")]);
    expect(r.status, r.stderr).toBe(0);
    const html = join(d, "rep", "index.html");
    await withPage(async (page) => {
      await page.goto(`file://${html}`);
      expect(await page.locator("#mock-banner").isVisible()).toBe(true);
      expect(await page.locator("table#models tbody tr").count()).toBe(4);
      expect(await page.locator("table#moe-pairs-tg tbody tr").count()).toBe(2);
      expect(await page.locator("table#moe-pairs-pp tbody tr").count()).toBe(2);
      expect(await page.locator("table[id^=claims] tbody tr").count()).toBe(6);
      expect(await page.locator("table#instances tbody tr").count()).toBe(8);
      expect(await page.locator("table[id^=quant-matrix]").count()).toBe(2);
      expect(await page.locator("figure.chart svg").count()).toBeGreaterThanOrEqual(4);
      expect(await page.locator("#chart-tg-by-quant svg").count()).toBe(1);
      expect(await page.locator("#chart-moe-ratio-quant svg").count()).toBe(1);
      // nothing is cut: no table wider than the page
      const overflow = await page.evaluate(
        () => [...document.querySelectorAll("div.scroll")].filter((e) => e.scrollWidth > e.clientWidth + 1).length,
      );
      expect(overflow).toBe(0);
      await page.screenshot({ path: join(artifacts(), "report.png"), fullPage: true });
    });
  });

  it("the compare page: the same table as the Markdown, the ratio chart by test", async () => {
    let r = cli(["run", f, "--executor", "mock", "--out", join(d, "slow")], {
      env: { ...env, MOEBENCH_MOCK_SLOWDOWN: "1.1" },
    });
    expect(r.status, r.stderr).toBe(0);
    if (!existsSync(join(d, "run")))
      expect(cli(["run", f, "--executor", "mock", "--out", join(d, "run")], { env }).status).toBe(0);
    const out = join(d, "cmp.html");
    r = cli(["compare", join(d, "run"), join(d, "slow"), "--format", "html", "--out", out]);
    expect(r.status).toBe(1);
    await withPage(async (page) => {
      await page.goto(`file://${out}`);
      expect(await page.locator("table#compare tbody tr").count()).toBe(8);
      expect(await page.locator("table#compare tbody td.fail").count()).toBe(8);
      expect(await page.locator("#chart-ratio svg").count()).toBe(1);
      const overflow = await page.evaluate(
        () => [...document.querySelectorAll("div.scroll")].filter((e) => e.scrollWidth > e.clientWidth + 1).length,
      );
      expect(overflow).toBe(0);
      await page.screenshot({ path: join(artifacts(), "compare.png"), fullPage: true });
    });
  });
});
