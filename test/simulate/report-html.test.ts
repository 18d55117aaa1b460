import { existsSync, readFileSync, statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { systemChromium } from "../helpers/browser.js";
import { cli, historyProject, REPLAY_PLAYBOOK } from "../helpers/history.js";

interface DrawnChart {
  id: string;
  points: number;
  /** canvas pixels that are not transparent */
  painted: number;
}

describe("report.html in a real browser", () => {
  it("opens offline in headless Chromium, draws every chart with data, logs no error, and leaves a screenshot next to the report", async () => {
    const project = historyProject();
    project.write("v2.play", REPLAY_PLAYBOOK.replace("version 1", "version 2").replace("status green >= 70, yellow >= 40", "status green >= 80, yellow >= 60").replace("trigger quiet {", "policies { task_capacity 2 }\n  trigger quiet {"));
    const result = await cli(project, "simulate", project.dir, "--from", "2026-02-01", "--to", "2026-03-02", "--horizon", "20d", "--compare", project.path("v2.play"), "--out", project.path("sim"));
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(project.path("sim/report.html"), "utf8");
    // Self-contained: no script, style or image is fetched from anywhere.
    expect(html).not.toMatch(/<(script|img|link)[^>]+(src|href)=/i);

    const browser = await chromium.launch({ executablePath: systemChromium(), args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) requests.push(request.url());
      });
      await page.goto(pathToFileURL(project.path("sim/report.html")).href);
      await page.waitForFunction(() => (window as unknown as { touchlineReport?: { ready: boolean } }).touchlineReport?.ready === true, null, { timeout: 30_000 });
      const charts = await page.evaluate(() => {
        const drawn = (window as unknown as { touchlineReport: { charts: { id: string; points: number }[] } }).touchlineReport.charts;
        return drawn.map((chart) => {
          const canvas = document.getElementById(chart.id) as HTMLCanvasElement;
          const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
          return { ...chart, painted };
        });
      }) as DrawnChart[];
      expect(charts.map((c) => c.id)).toEqual(["status", "tiers", "actions", "taskload", "onboarding", "capture", "deciles", "compare-red", "compare-actions"]);
      for (const chart of charts) {
        expect(chart.points, chart.id).toBeGreaterThan(0);
        expect(chart.painted, chart.id).toBeGreaterThan(1000);
      }
      expect(await page.locator("h2").allTextContents()).toEqual(expect.arrayContaining(["Health status over time", "Tiers over time", "Actions per week by type", "Churn capture curve", "Churn by health-score decile", "Green churn"]));
      await page.screenshot({ path: project.path("sim/report.png"), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(existsSync(project.path("sim/report.png"))).toBe(true);
    expect(statSync(project.path("sim/report.png")).size).toBeGreaterThan(10_000);
  }, 120_000);
});
