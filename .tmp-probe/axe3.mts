import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";
const { dash } = JSON.parse(process.argv[2]!);
const P = AxeBuilder.prototype as any;
const t = () => performance.now();
for (const m of ["finishRun", "runPartialRecursive", "runLegacy"]) {
  const orig = P[m];
  P[m] = async function (...a: unknown[]) { const s = t(); try { return await orig.apply(this, a); } finally { console.log(`   ${m} ${(t() - s).toFixed(0)}ms`); } };
}
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
const page = await (await browser.newContext()).newPage();
for (const path of ["/login", "/signup", "/login", "/signup"]) {
  await page.goto(`${dash}${path}`);
  let s = t();
  await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  console.log(path, "analyze", (t() - s).toFixed(0));
  s = t();
  await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).setLegacyMode(true).analyze();
  console.log(path, "legacy analyze", (t() - s).toFixed(0));
}
await browser.close();
