/**
 * Builds the widget's scripts into `public/widget/v<version>/`, served by the Worker's static
 * assets with long-lived cache headers (`public/_headers`):
 *
 * - `--mode loader` → `widget.js`: the script sites embed (launcher + `window.EdgeDesk`);
 * - `--mode app` → `app.js`: the Preact chat app, fetched when the widget is about to be used;
 * - `--mode rich` → `rich.js`: Markdown answers, sources, attachments, rating, fetched once a
 *   conversation starts. It borrows the app's Preact (see `sharedPreact`).
 *
 * Each is one IIFE file (a classic script: no module CORS rules on customers' pages).
 * `npm run build:widget` (widget/scripts/build.mjs) runs the three and writes the locale files.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";

const WIDGET_DIR = fileURLToPath(new URL(".", import.meta.url));
/** The widget's version: the folder of its versioned, immutable URL. */
export const WIDGET_VERSION = (JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8")) as { version: string }).version;
/** Where the built files go. */
export const OUT_DIR = fileURLToPath(new URL(`../public/widget/v${WIDGET_VERSION}/`, import.meta.url));

/** The exports of each module `rich.js` takes from the app (src/app/shared-modules.ts). */
const SHARED_MODULES: Record<string, string[]> = {
  "preact/jsx-runtime": ["jsx", "jsxs", "Fragment"],
  "preact/hooks": ["useEffect", "useMemo", "useRef", "useState"],
};

/** Resolves `rich.js`'s Preact imports to the app's instance, published on `EdgeDesk._p`. */
function sharedPreact(): Plugin {
  const PREFIX = "\0shared:";
  return {
    name: "edgedesk-shared-preact",
    enforce: "pre",
    resolveId: (id) => (id in SHARED_MODULES ? PREFIX + id : null),
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      return `export const { ${SHARED_MODULES[name]!.join(", ")} } = window.EdgeDesk._p[${JSON.stringify(name)}];`;
    },
  };
}

const ENTRIES: Record<string, { entry: string; file: string }> = {
  loader: { entry: "src/loader/index.ts", file: "widget.js" },
  app: { entry: "src/app/index.ts", file: "app.js" },
  rich: { entry: "src/rich/index.ts", file: "rich.js" },
};

export default defineConfig(({ mode }) => {
  const { entry, file } = ENTRIES[mode] ?? ENTRIES.app!;
  return {
    root: WIDGET_DIR,
    // Only the JSX and `react` aliases matter in a production build; no devtools, no refresh.
    plugins: [...(mode === "rich" ? [sharedPreact()] : []), preact({ devtoolsInProd: false, prefreshEnabled: false })],
    define: { __WIDGET_VERSION__: JSON.stringify(WIDGET_VERSION) },
    logLevel: "warn",
    publicDir: false,
    build: {
      outDir: OUT_DIR,
      emptyOutDir: false,
      target: "es2022",
      // Terser's extra passes take a few hundred bytes more off than esbuild: this file's budget is tight.
      minify: "terser",
      terserOptions: { ecma: 2020, compress: { passes: 3, pure_getters: true, unsafe_arrows: true }, format: { comments: false } },
      cssMinify: "esbuild",
      reportCompressedSize: false,
      lib: { entry, formats: ["iife"], name: `EdgeDesk_${mode}`, fileName: () => file },
    },
  };
});
