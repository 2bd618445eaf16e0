import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { dash } = JSON.parse(process.argv[2]!);
const t = () => performance.now();
let t0 = t();
const lap = (s: string) => { const n = t(); console.log(((n - t0) / 1000).toFixed(2), s); t0 = n; };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
const page = await (await browser.newContext()).newPage();
await page.goto(`${dash}/login`); lap("goto login");
await page.evaluate(axeSource); lap("inject");
for (const rt of [undefined, ["violations"]]) {
  const r = await page.evaluate(async (rt) => { const w = window as any; const s = performance.now(); const res = await w.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, ...(rt ? { resultTypes: rt } : {}) }); return [performance.now() - s, res.violations.length, res.passes.length]; }, rt);
  lap(`run ${JSON.stringify(rt)} ${JSON.stringify(r)}`);
}
const r = await page.evaluate(async () => { const w = window as any; const res = await w.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, performanceTimer: true }); return 1; });
await browser.close();
