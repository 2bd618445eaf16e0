#!/usr/bin/env node
/**
 * The Worker's import graph, from the source alone (no bundler, no dependency):
 *
 *   node scripts/import-graph.mjs            import circles between files, then the rooms' imports
 *   node scripts/import-graph.mjs --check    exits 1 when a circle exists (between files or rooms) or a room imports `http/`
 *
 * Every relative `import`/`export … from` of `workers/src` counts, `import type` included: a
 * circle of types is still a circle to read. A room is a top folder of `workers/src` (`lib`,
 * `billing`, …); files directly in it (`index.ts`, `env.d.ts`) are the entry, not a room.
 * Tests are left out: a test may reach anywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "workers", "src");
/** Rooms allowed to import `http/`: the HTTP room itself and the Worker's entry. */
const HTTP_IMPORTERS = new Set(["http", "(entry)"]);

/** Every non-test TypeScript file under `dir`. */
function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(test|bench)\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The file a relative specifier names, or null when it leaves `workers/src` or names no file. */
function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (candidate.startsWith(SRC) && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/g;

/** Relative imports of a file that land inside `workers/src`. */
function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const target = resolveSpecifier(file, m[1]);
    if (target) found.add(target);
  }
  return [...found];
}

function roomOf(file) {
  const parts = relative(SRC, file).split("/");
  return parts.length > 1 ? parts[0] : "(entry)";
}

/** Strongly connected components with more than one file (Tarjan), each a circle. */
function circles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const indexOf = new Map();
  const low = new Map();
  const found = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      for (let w = stack.pop(); ; w = stack.pop()) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

const fileCircles = circles(graph);
const rooms = new Map();
const httpImports = [];
for (const [file, targets] of graph) {
  const from = roomOf(file);
  if (!rooms.has(from)) rooms.set(from, new Set());
  for (const target of targets) {
    const to = roomOf(target);
    if (to !== from) rooms.get(from).add(to);
    if (to === "http" && !HTTP_IMPORTERS.has(from)) httpImports.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
  }
}

const roomGraph = new Map([...rooms].map(([room, targets]) => [room, [...targets]]));
const roomCircles = circles(roomGraph);

console.log(`${files.length} files, ${[...graph.values()].reduce((n, t) => n + t.length, 0)} imports`);
console.log(fileCircles.length === 0 ? "no import circle between files" : `${fileCircles.length} import circle(s) between files:`);
for (const c of fileCircles) console.log(`  ${c.map((f) => relative(SRC, f)).join(" ↔ ")}`);
console.log(httpImports.length === 0 ? "no room imports http/" : `${httpImports.length} import(s) of http/ from other rooms:`);
for (const line of httpImports) console.log(`  ${line}`);
console.log(roomCircles.length === 0 ? "no circle between rooms" : `${roomCircles.length} circle(s) between rooms:`);
for (const c of roomCircles) console.log(`  ${c.join(" ↔ ")}`);
console.log("rooms and what they import:");
for (const [room, targets] of [...rooms].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${room}: ${[...targets].sort().join(", ") || "(nothing)"}`);
}

if (process.argv.includes("--check") && (fileCircles.length > 0 || roomCircles.length > 0 || httpImports.length > 0)) process.exit(1);
