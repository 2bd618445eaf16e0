/**
 * Actions: read a form, check CSRF, call the API, and answer with what the page shows next to
 * the field or button that caused an error. `intentAction` is the whole shape of an action whose
 * form says what to do in its `intent` field; `attempt` and `attemptThen` the API call inside it.
 */
import { data, type ActionFunctionArgs } from "@remix-run/cloudflare";
import type { Role } from "../../../schema/api";
import { ApiFailure, fieldErrors } from "./api.server";
import { requireRole, type Args } from "./auth.server";
import { verifyCsrf } from "./csrf.server";

/** What every action answers: success with optional data, or an error for the form. */
export type ActionResult<T = unknown> =
  | { ok: true; intent: string; result?: T; message?: string }
  | { ok: false; intent: string; error: { message: string; fields: Record<string, string> } };

/** The posted form, after the CSRF check. */
export async function readForm(args: Args): Promise<FormData> {
  const form = await args.request.formData();
  await verifyCsrf(args.request, args.context, form);
  return form;
}

/** A text field, trimmed; undefined when absent or empty. */
export function text(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

/** A number field; undefined when empty, NaN (which the API refuses by name) when not a number. */
export function num(form: FormData, name: string): number | undefined {
  const v = text(form, name);
  return v === undefined ? undefined : Number(v);
}

/** Lines of a textarea, trimmed, without blanks. */
export function lines(form: FormData, name: string): string[] {
  return (text(form, name) ?? "")
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The form's answer to an API failure: its message and field errors, with the API's status. */
function failed<T>(intent: string, err: unknown) {
  if (!(err instanceof ApiFailure)) throw err;
  const retry = err.status === 429 && err.retryAfter ? ` Try again in ${err.retryAfter} s.` : "";
  return data<ActionResult<T>>({ ok: false, intent, error: { message: err.message + retry, fields: fieldErrors(err) } }, { status: err.status });
}

/** Runs an action's API work; API errors become the form's errors with the API's status. */
export async function attempt<T>(intent: string, work: () => Promise<T>, message?: string) {
  try {
    const result = await work();
    return data<ActionResult<T>>({ ok: true, intent, result, message });
  } catch (err) {
    return failed<T>(intent, err);
  }
}

/**
 * Runs an action's API work and goes on with its result (signing in, a redirect); API errors
 * become the form's errors, as with `attempt`. What `next` throws is not the form's concern.
 */
export async function attemptThen<T, R>(intent: string, work: () => Promise<T>, next: (result: T) => R | Promise<R>) {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    return failed<never>(intent, err);
  }
  return next(result);
}

/** An error for the form without calling the API (a missing field, say). */
export function invalid(intent: string, message: string, fields: Record<string, string> = {}) {
  return data<ActionResult>({ ok: false, intent, error: { message, fields } }, { status: 400 });
}

/** What an intent's handler gets: the action's arguments, the posted form and its intent. */
export interface IntentContext {
  args: ActionFunctionArgs;
  form: FormData;
  intent: string;
}

/**
 * A route's `action` for forms that name what they do in an `intent` field: checks the user's
 * role, reads the form (CSRF checked), and runs the handler of that intent; an unknown intent is
 * a 400 for the form.
 */
export function intentAction<H extends Record<string, (ctx: IntentContext) => unknown>>(role: Role, handlers: H) {
  return async (args: ActionFunctionArgs): Promise<Awaited<ReturnType<H[keyof H]>> | ReturnType<typeof invalid>> => {
    await requireRole(args, role);
    const form = await readForm(args);
    const intent = text(form, "intent") ?? "";
    const handler = Object.hasOwn(handlers, intent) ? handlers[intent] : undefined;
    if (!handler) return invalid(intent, "Unknown action.");
    return (await handler({ args, form, intent })) as Awaited<ReturnType<H[keyof H]>>;
  };
}
