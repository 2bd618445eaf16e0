import { currentTrace } from "./trace-context";

/**
 * Structured JSON logs: one object per line, carrying the request id and, inside traced work
 * (`trace-context.ts`), its `trace_id` and `span_id`; never a secret.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
}

/** Keys whose values are replaced before a log line is written, wherever they appear. */
const SECRET_KEY_PATTERN = /(authorization|password|secret|token|api[_-]?key|^key$|cookie|signature|user_hash)/i;
/** Values that look like credentials even under an innocent key. */
const SECRET_VALUE_PATTERN = /\b(sk|pk)_live_[0-9A-Za-z]+|\brtf_[0-9A-Za-z]+|\bidsec_[0-9A-Za-z]+|\beyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const MAX_DEPTH = 4; // log fields are small; deeper values are summarised

/** Copy of `value` with secrets masked, safe to print. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(SECRET_VALUE_PATTERN, "[redacted]");
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[object]";
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY_PATTERN.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/** A logger that writes JSON lines with `base` fields merged into each. */
export function createLogger(base: Record<string, unknown> = {}): Logger {
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const trace = currentTrace();
    const traced = trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {};
    const line = JSON.stringify(redact({ level, msg, time: new Date().toISOString(), ...traced, ...base, ...fields }));
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    with: (fields) => createLogger({ ...base, ...fields }),
  };
}
