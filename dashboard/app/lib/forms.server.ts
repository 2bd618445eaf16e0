/**
 * Actions: read a form, check CSRF, call the API, and answer with what the page shows next to
 * the field or button that caused an error.
 */
import { data } from "@remix-run/cloudflare";
import { ApiFailure, fieldErrors } from "./api.server";
import type { Args } from "./auth.server";
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

/** Runs an action's API work; API errors become the form's errors with the API's status. */
export async function attempt<T>(intent: string, work: () => Promise<T>, message?: string) {
  try {
    const result = await work();
    return data<ActionResult<T>>({ ok: true, intent, result, message });
  } catch (err) {
    if (err instanceof ApiFailure) {
      const retry = err.status === 429 && err.retryAfter ? ` Try again in ${err.retryAfter} s.` : "";
      return data<ActionResult<T>>(
        { ok: false, intent, error: { message: err.message + retry, fields: fieldErrors(err) } },
        { status: err.status },
      );
    }
    throw err;
  }
}

/** An error for the form without calling the API (a missing field, say). */
export function invalid(intent: string, message: string, fields: Record<string, string> = {}) {
  return data<ActionResult>({ ok: false, intent, error: { message, fields } }, { status: 400 });
}
