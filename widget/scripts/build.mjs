#!/usr/bin/env node
/**
 * Builds the widget into `public/widget/v<version>/`: `widget.js` (the loader sites embed),
 * `app.js` (the chat app), `rich.js` (what a started conversation needs), and per locale
 * `i18n/<locale>.js` and `i18n/<locale>.chat.js` (UI strings of the open widget, of a conversation). The folder is
 * generated (gitignored); `npm start`, the browser tests and the
 * benches call this before they serve it.
 *
 *   node widget/scripts/build.mjs        (or: npm run build:widget)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WIDGET_DIR = fileURLToPath(new URL("..", import.meta.url));
const CONFIG_FILE = join(WIDGET_DIR, "vite.config.ts");
const LOCALES_DIR = join(WIDGET_DIR, "src", "i18n");
const PUBLIC_WIDGET_DIR = fileURLToPath(new URL("../../public/widget/", import.meta.url));

/** The widget version (from widget/package.json). */
export function widgetVersion() {
  return JSON.parse(readFileSync(join(WIDGET_DIR, "package.json"), "utf8")).version;
}

/**
 * Builds everything; resolves with the version, the output folder and the loader's URL path.
 * `log` gets one line per step (quiet by default).
 */
export async function buildWidget({ log = () => {} } = {}) {
  const { build } = await import("vite");
  const version = widgetVersion();
  const outDir = join(PUBLIC_WIDGET_DIR, `v${version}`);
  // Older versions go; the current folder is overwritten in place, so a running `wrangler dev`
  // keeps watching it and serves the new files at once.
  mkdirSync(join(outDir, "i18n"), { recursive: true });
  for (const entry of readdirSync(PUBLIC_WIDGET_DIR)) {
    if (entry !== `v${version}`) rmSync(join(PUBLIC_WIDGET_DIR, entry), { recursive: true, force: true });
  }
  for (const mode of ["loader", "app", "rich"]) {
    log(`vite build --mode ${mode}`);
    await build({ configFile: CONFIG_FILE, mode, logLevel: "warn" });
  }
  // Two small scripts per locale: what the open widget says (fetched beside app.js), and what
  // only a conversation under way says (fetched beside rich.js).
  const later = new Set(JSON.parse(readFileSync(join(LOCALES_DIR, "conversation-keys.json"), "utf8")));
  for (const file of readdirSync(LOCALES_DIR).filter((f) => /^[a-z]{2}\.json$/.test(f))) {
    const locale = file.replace(/\.json$/, "");
    const strings = Object.entries(JSON.parse(readFileSync(join(LOCALES_DIR, file), "utf8")));
    const script = (entries) =>
      `(function(e){e&&e._l&&e._l(${JSON.stringify(locale)},${JSON.stringify(Object.fromEntries(entries))})})(window.EdgeDesk);\n`;
    writeFileSync(join(outDir, "i18n", `${locale}.js`), script(strings.filter(([k]) => !later.has(k))));
    writeFileSync(join(outDir, "i18n", `${locale}.chat.js`), script(strings.filter(([k]) => later.has(k))));
  }
  log(`built public/widget/v${version}/`);
  return { version, outDir, loaderPath: `/widget/v${version}/widget.js` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  buildWidget({ log: (m) => console.log(`[widget] ${m}`) }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
