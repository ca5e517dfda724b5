/**
 * index.html in headless Chromium (Debian's chromium; .ci/run installs it): the tables and charts are
 * there, nothing is fetched from the network, no console errors; a screenshot is saved under
 * test-artifacts/ for people to look at.
 */
import { describe, it, expect } from "vitest";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT, cli, tmp } from "../helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("HTML report in a browser", () => {
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
    "renders tables and charts with no console errors and no network",
    async () => {
      const d = tmp();
      const f = join(d, "s.yaml");
      writeFileSync(
        f,
        "name: browser\nmodels:\n  - synth: lfm2-8b-a1b\n    scale: tiny\n    quants: [Q8_0, Q4_K_M]\n  - synth: llama-3.1-8b\n    scale: tiny\n    quants: [Q8_0, Q4_K_M]\ntests: [pp64, tg16]\nrepetitions: {min: 3, max: 3}\n",
      );
      const run = join(d, "run");
      let r = cli(["run", f, "--executor", "mock", "--out", run], { env: { MOEBENCH_CACHE: join(d, "c") } });
      expect(r.status, r.stderr).toBe(0);
      r = cli(["report", run, "--out", join(d, "rep")]);
      expect(r.status, r.stderr).toBe(0);
      const html = join(d, "rep", "index.html");
      expect(existsSync(html)).toBe(true);
      const browser = await chromium.launch({
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
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("request", (q) => {
          if (!q.url().startsWith("file:")) requests.push(q.url());
        });
        await page.goto(`file://${html}`);
        expect(await page.locator("table#moe-vs-dense tbody tr").count()).toBe(4);
        expect(await page.locator("table#instances tbody tr").count()).toBe(8);
        expect(await page.locator("table[id^=quant-matrix]").count()).toBe(2);
        expect(await page.locator("figure.chart svg").count()).toBeGreaterThanOrEqual(3);
        expect(await page.locator("#chart-tg-by-quant svg").count()).toBe(1);
        const artifacts = join(ROOT, "test-artifacts");
        mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: join(artifacts, "report.png"), fullPage: true });
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
