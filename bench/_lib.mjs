/**
 * Helpers shared by the bench modules: paths, running wrangler, sizes and tables.
 * Files whose name starts with `_` are helpers; `run.mjs` does not run them as benches.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Node 22 for wrangler: this process's Node when it is new enough, else the `node` devDependency. */
export function nodeForWrangler() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return process.execPath;
  const local = join(ROOT, "node_modules", "node", "bin", "node");
  return existsSync(local) ? local : process.execPath;
}

/**
 * Runs `wrangler <args>` from the repository root, metrics off, and resolves with its output.
 * Rejects with the output's tail when it exits non-zero.
 */
export function runWrangler(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(nodeForWrangler(), [WRANGLER_BIN, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", ...env },
    });
    let output = "";
    proc.stdout.on("data", (chunk) => (output += chunk));
    proc.stderr.on("data", (chunk) => (output += chunk));
    proc.on("error", reject);
    proc.on("exit", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output.split("\n").slice(-20).join("\n")}`));
    });
  });
}

/** Bytes as KiB with two decimals, the unit wrangler reports. */
export function kib(bytes) {
  return (bytes / 1024).toFixed(2);
}

/**
 * A bench's result: a titled table. `columns` name the cells of each row; numbers are
 * right-aligned. `notes` are printed under the table.
 * @typedef {{ title: string, columns: string[], rows: (string | number)[][], notes?: string[] }} Table
 */

/** Renders a table as aligned plain text (readable in a terminal and pasteable into markdown). */
export function formatTable({ title, columns, rows, notes = [] }) {
  const cells = [columns, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => isNumeric(row[i])));
  const line = (row) =>
    "| " +
    row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(" | ") +
    " |";
  const rule = "|" + widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [`### ${title}`, "", line(cells[0]), rule, ...cells.slice(1).map(line), ...notes.map((n) => `\n${n}`)].join(
    "\n",
  );
}

function isNumeric(cell) {
  return typeof cell === "number" || (typeof cell === "string" && /^-?[\d.,]+%?$/.test(cell));
}
