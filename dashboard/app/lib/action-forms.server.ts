/**
 * The actions page's forms as API bodies: creating an HTTP action and editing any action
 * (`PATCH /actions/:id`). Fields a form cannot read (JSON that does not parse) come back as
 * field errors before the API is called; everything else the API checks and names.
 */
import type { Action } from "../../../schema/api";
import { lines, num, text } from "./forms.server";

/** A body for the API, or the field errors that kept the form from becoming one. */
export type Parsed = { body: Record<string, unknown>; errors?: undefined } | { body?: undefined; errors: Record<string, string> };

/** A JSON field of the form, parsed; an error naming the field when it is not JSON. */
export function json(form: FormData, name: string): { value?: unknown; error?: string } {
  const raw = text(form, name);
  if (raw === undefined) return {};
  try {
    return { value: JSON.parse(raw) as unknown };
  } catch {
    return { error: "must be valid JSON" };
  }
}

/** `Name: value` lines as a header map (values are write-only: never shown again). */
export function headersOf(form: FormData, name: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of (text(form, name) ?? "").split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

/** `param: regex` lines as trigger patterns; a line without `:` is an error naming it. */
function patternsOf(form: FormData, name: string): { value: Record<string, string>; error?: string } {
  const value: Record<string, string> = {};
  for (const line of (text(form, name) ?? "").split("\n").map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf(":");
    if (at <= 0) return { value, error: `"${line.slice(0, 40)}" is not "parameter: pattern"` };
    value[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { value };
}

/** `POST /assistants/:id/actions` from the create form. */
export function createBody(form: FormData): Parsed {
  const parameters = json(form, "parameters");
  if (parameters.error) return { errors: { parameters: parameters.error } };
  const phrases = lines(form, "triggers.phrases");
  return {
    body: {
      name: text(form, "name") ?? "",
      description: text(form, "description") ?? "",
      method: text(form, "method") ?? "GET",
      url: text(form, "url") ?? "",
      ...(parameters.value !== undefined && { parameters: parameters.value }),
      headers: headersOf(form, "headers"),
      response_fields: lines(form, "response_fields"),
      mutating: form.get("mutating") === "on",
      requires_verified: form.get("requires_verified") === "on",
      handoff_on_failure: form.get("handoff_on_failure") === "on",
      ...(phrases.length && { triggers: { phrases, patterns: {} } }),
    },
  };
}

/**
 * `PATCH /actions/:id` from the edit form: every field it shows, as the form holds it. Headers
 * are only what changes: new values set, the ones ticked for removal sent as null. Name, URL,
 * method, parameters and headers of an MCP action belong to its server and are left out.
 */
export function updateBody(form: FormData, kind: Action["kind"]): Parsed {
  const errors: Record<string, string> = {};
  const phrases = (text(form, "triggers.phrases") ?? "")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const patterns = patternsOf(form, "triggers.patterns");
  if (patterns.error) errors["triggers.patterns"] = patterns.error;
  const body: Record<string, unknown> = {
    description: text(form, "description") ?? "",
    response_fields: lines(form, "response_fields"),
    mutating: form.get("mutating") === "on",
    requires_verified: form.get("requires_verified") === "on",
    handoff_on_failure: form.get("handoff_on_failure") === "on",
    enabled: form.get("enabled") === "on",
    triggers: phrases.length || Object.keys(patterns.value).length ? { phrases, patterns: patterns.value } : null,
    answer_template: text(form, "answer_template") ?? null,
    ...(text(form, "timeout_ms") !== undefined && { timeout_ms: num(form, "timeout_ms") }),
  };
  if (kind === "http") {
    const parameters = json(form, "parameters");
    if (parameters.error) errors.parameters = parameters.error;
    const headers: Record<string, string | null> = { ...headersOf(form, "headers") };
    for (const removed of form.getAll("remove_header")) if (typeof removed === "string" && !(removed in headers)) headers[removed] = null;
    Object.assign(body, {
      name: text(form, "name") ?? "",
      method: text(form, "method") ?? "GET",
      url: text(form, "url") ?? "",
      ...(parameters.value !== undefined && { parameters: parameters.value }),
      ...(Object.keys(headers).length > 0 && { headers }),
    });
  }
  return Object.keys(errors).length ? { errors } : { body };
}
