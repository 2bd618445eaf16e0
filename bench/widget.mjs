/**
 * The chat widget's weight and speed.
 *
 * Builds the widget (widget/scripts/build.mjs), then measures:
 *
 *  1. sizes, raw and gzipped (zlib level 9), of every file a visitor can load: the loader
 *     (`widget.js`), the app (`app.js`) and the open widget's strings (`i18n/<locale>.js`, which
 *     together are everything loaded before the first message), then what a conversation adds
 *     (`rich.js`, `i18n/<locale>.chat.js`); checked against the budgets (20 KB before the first
 *     message, 3 KB for the loader, gzipped, 1 KB = 1,024 bytes);
 *  2. in headless Chromium (Debian's, through playwright-core), on a page served from
 *     127.0.0.1 with gzip like the Worker's static assets: script tag → launcher visible, and
 *     click → ready (panel shown, input focused), on a fresh browser context each run (cold
 *     cache), without throttling and with a slow-phone profile (4× CPU slowdown, 150 ms latency,
 *     1.6 Mbit/s down).
 *
 * The page needs no API: until the visitor sends something the widget makes no request.
 * `WIDGET_BENCH_RUNS=n` changes the number of runs per profile.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";
import { percentile, ROOT } from "./_lib.mjs";

export const description = "Widget size (loader, app, strings; gzip) and, in headless Chromium, script tag → launcher and click → ready";

const GZIP_LEVEL = 9;
const KB = 1024;
const BUDGET_FIRST_MESSAGE_BYTES = 20 * KB; // everything loaded before the first message
const BUDGET_LOADER_BYTES = 3 * KB;
const RUNS = Number(process.env.WIDGET_BENCH_RUNS ?? 15);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const READY_TIMEOUT_MS = 30_000;
/** A slow phone on a mobile network (Lighthouse's "slow 4G" numbers, CPU as a mid-range phone). */
const SLOW_PROFILE = { cpuSlowdown: 4, latencyMs: 150, downloadBps: (1.6 * 1024 * 1024) / 8, uploadBps: (750 * 1024) / 8 };
const TYPES = { ".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8" };

const gz = (bytes) => gzipSync(bytes, { level: GZIP_LEVEL }).length;
const kb = (bytes) => (bytes / KB).toFixed(2);

/** @param {{ log: (m: string) => void }} ctx */
export default async function run({ log }) {
  log("building the widget…");
  const { buildWidget } = await import("../widget/scripts/build.mjs");
  const { outDir, loaderPath } = await buildWidget();

  const sizes = sizeTables(outDir);
  if (!existsSync(CHROMIUM)) {
    return [...sizes, { title: "Widget timings", columns: ["note"], rows: [[`skipped: no Chromium at ${CHROMIUM}`]] }];
  }
  const server = await serve(join(ROOT, "public"), loaderPath);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const rows = [];
    for (const profile of [
      { name: "no throttling", slow: null },
      { name: "slow phone (4× CPU, slow 4G)", slow: SLOW_PROFILE },
    ]) {
      log(`timing ${RUNS} runs: ${profile.name}…`);
      const launcher = [];
      const own = [];
      const ready = [];
      const warm = [];
      await measureOnce(browser, server.url, profile.slow); // warm-up, not recorded: the browser's network service starts
      for (let i = 0; i < RUNS; i++) {
        const r = await measureOnce(browser, server.url, profile.slow);
        launcher.push(r.launcherMs);
        own.push(r.ownMs);
        ready.push(r.readyMs);
        warm.push(r.reopenMs);
      }
      const stat = (values) => [percentile(values, 50).toFixed(0), percentile(values, 95).toFixed(0)];
      rows.push([profile.name, "script tag → launcher visible", ...stat(launcher)]);
      rows.push([profile.name, "widget.js received → launcher visible", ...stat(own)]);
      rows.push([profile.name, "click → ready (first open, cold cache)", ...stat(ready)]);
      rows.push([profile.name, "click → ready (reopen)", ...stat(warm)]);
    }
    return [
      ...sizes,
      {
        title: "Widget timings in headless Chromium (ms)",
        columns: ["profile", "measure", "p50", "p95"],
        rows,
        notes: [
          `${RUNS} runs per profile, each in a fresh browser context (empty cache). "Ready" is the panel shown with the message input focused; the conversation itself is created when the visitor sends something.`,
          "Files served from 127.0.0.1 with gzip. The slow profile: 4× CPU slowdown, 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up (Chrome DevTools emulation).",
        ],
      },
    ];
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Sizes of the built files and the budget check. */
function sizeTables(outDir) {
  const file = (name) => {
    const bytes = readFileSync(join(outDir, name));
    return { name, raw: bytes.length, gzip: gz(bytes) };
  };
  const loader = file("widget.js");
  const app = file("app.js");
  const rich = file("rich.js");
  const locales = readdirSync(join(outDir, "i18n"))
    .filter((f) => /^[a-z]{2}\.js$/.test(f))
    .map((f) => f.slice(0, 2));
  const strings = locales.map((l) => ({ locale: l, core: file(`i18n/${l}.js`), chat: file(`i18n/${l}.chat.js`) }));
  const largest = strings.reduce((a, b) => (b.core.gzip > a.core.gzip ? b : a));
  const largestChat = strings.reduce((a, b) => (b.chat.gzip > a.chat.gzip ? b : a));
  const firstMessage = loader.gzip + app.gzip + largest.core.gzip;
  const conversation = firstMessage + rich.gzip + largestChat.chat.gzip;
  const row = (label, f) => [label, f.name, f.raw, kb(f.raw), f.gzip, kb(f.gzip)];
  return [
    {
      title: "Widget files",
      columns: ["part", "file", "raw bytes", "raw KB", "gzip bytes", "gzip KB"],
      rows: [
        row("loader (always)", loader),
        row("app (on open)", app),
        row(`strings, largest (${largest.locale})`, largest.core),
        row("conversation extras", rich),
        row(`conversation strings, largest (${largestChat.locale})`, largestChat.chat),
      ],
      notes: [`Strings per locale (open widget / conversation, gzip bytes): ${strings.map((s) => `${s.locale} ${s.core.gzip}/${s.chat.gzip}`).join(", ")}.`],
    },
    {
      title: "Widget budgets (gzip, KB = 1,024 bytes)",
      columns: ["what", "gzip bytes", "gzip KB", "budget KB", "within"],
      rows: [
        ["loader", loader.gzip, kb(loader.gzip), kb(BUDGET_LOADER_BYTES), loader.gzip < BUDGET_LOADER_BYTES ? "yes" : "NO"],
        [
          `before the first message (loader + app + ${largest.locale} strings)`,
          firstMessage,
          kb(firstMessage),
          kb(BUDGET_FIRST_MESSAGE_BYTES),
          firstMessage < BUDGET_FIRST_MESSAGE_BYTES ? "yes" : "NO",
        ],
        ["once a conversation runs (+ extras and their strings)", conversation, kb(conversation), "–", "–"],
      ],
    },
  ];
}

/** One cold page load: tag → launcher, click → ready, close and reopen → ready. */
async function measureOnce(browser, url, slow) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  if (slow) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: slow.latencyMs,
      downloadThroughput: slow.downloadBps,
      uploadThroughput: slow.uploadBps,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: slow.cpuSlowdown });
  }
  try {
    await page.goto(url, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(() => window.__bench.launcher !== null, undefined, { timeout: READY_TIMEOUT_MS });
    const { launcherMs, ownMs } = await page.evaluate(() => {
      const loader = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/widget.js"));
      return { launcherMs: window.__bench.launcher, ownMs: window.__bench.tag + window.__bench.launcher - loader.responseEnd };
    });
    const launcher = page.locator("#edgedesk-widget .l");
    const readyMs = await timeOpen(page, launcher);
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => !document.getElementById("edgedesk-widget").shadowRoot.querySelector(".p"));
    const reopenMs = await timeOpen(page, launcher);
    return { launcherMs, ownMs, readyMs, reopenMs };
  } finally {
    await context.close();
  }
}

/** Clicks the launcher and measures, inside the page, until the input has focus. */
async function timeOpen(page, launcher) {
  await page.evaluate(() => {
    window.__bench.clicked = null;
    window.__bench.ready = null;
    document.addEventListener("click", () => (window.__bench.clicked ??= performance.now()), { capture: true, once: true });
    const poll = () => {
      const root = document.getElementById("edgedesk-widget").shadowRoot;
      if (root.activeElement?.id === "ed-input" && root.querySelector(".p")) window.__bench.ready = performance.now();
      else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
  await launcher.click();
  await page.waitForFunction(() => window.__bench.ready !== null, undefined, { timeout: READY_TIMEOUT_MS });
  return page.evaluate(() => window.__bench.ready - window.__bench.clicked);
}

/** A static server for `public/` (gzip, like Workers static assets) plus the bench's host page. */
function serve(publicDir, loaderPath) {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body>
<h1>Shop</h1><p>Product text.</p>
<script>
  window.__bench = { tag: performance.now(), launcher: null };
  (function poll() {
    const l = document.getElementById("edgedesk-widget")?.shadowRoot?.querySelector(".l");
    if (l && l.getBoundingClientRect().width > 0) window.__bench.launcher = performance.now() - window.__bench.tag;
    else requestAnimationFrame(poll);
  })();
</script>
<script src="${loaderPath}" data-assistant="ast_bench000000000000" data-key="pk_live_bench" async></script>
</body></html>`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    let body;
    let type = TYPES[".html"];
    if (path === "/") body = Buffer.from(page);
    else {
      const file = normalize(join(publicDir, path));
      if (!file.startsWith(publicDir) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      body = readFileSync(file);
      type = TYPES[extname(file)] ?? "application/octet-stream";
    }
    res.writeHead(200, { "content-type": type, "content-encoding": "gzip", "cache-control": "no-store" });
    res.end(gzipSync(body, { level: 6 }));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}
