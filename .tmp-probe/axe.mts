import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";
const { api, dash } = JSON.parse(process.argv[2]!);
const t = () => performance.now();
let t0 = t();
const lap = (s: string) => { const n = t(); console.log(((n - t0) / 1000).toFixed(2), s); t0 = n; };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
lap("launched");
const page = await (await browser.newContext()).newPage();
const email = `axe-${Date.now()}@example.test`;
await page.goto(`${dash}/signup`); lap("goto signup");
await page.getByLabel("Workspace name").fill("Axe");
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password").fill("correct horse battery staple");
await page.getByRole("button", { name: "Create workspace" }).click();
await page.waitForURL("**/overview"); lap("signed up");
for (const path of ["/overview", "/conversations", "/team", "/settings", "/overview"]) {
  await page.goto(`${dash}${path}`); lap(`goto ${path}`);
  await page.waitForLoadState("networkidle"); lap(`networkidle`);
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze(); lap(`axe ${r.violations.length}`); const r2 = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).options({ resultTypes: ["violations"] }).analyze(); lap(`axe violations-only ${r2.violations.length}`);
}
await browser.close();
