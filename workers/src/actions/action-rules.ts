/**
 * What makes an action definition safe to store and to run: a URL template on http(s) whose
 * origin no argument can change and that points at a public address, placeholders that name
 * parameters, and trigger patterns that are short regexes without the shapes that backtrack
 * without end.
 */
import type { ActionTriggers } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import { outboundRefusal, type OutboundPolicy } from "../lib/network-policy";
import { parameterSchemaProblems, propertyNames, type ParameterSchema } from "./parameters";

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]{0,63})\}/g;

/** The `{name}` placeholders of a URL template, in order. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * Fills a URL template from the arguments (each value URL-encoded, so no argument can add a
 * path segment, a query or another host) and says which arguments it used.
 */
export function fillUrlTemplate(template: string, args: Record<string, unknown>): { url: string; used: Set<string> } {
  const used = new Set<string>();
  const url = template.replace(PLACEHOLDER, (_, name: string) => {
    used.add(name);
    const value = args[name];
    return value === undefined || value === null ? "" : encodeURIComponent(typeof value === "string" ? value : JSON.stringify(value));
  });
  return { url, used };
}

function invalid(field: string, message: string, code = "invalid_value"): ApiError {
  return new ApiError("invalid_request", `${field}: ${message}`, { issues: [{ path: [field], code, message }] });
}

/**
 * Checks a URL template at save time: http(s), no placeholder before the path, every
 * placeholder a parameter, and a destination the outbound policy allows. Throws a 400.
 */
export function assertUrlTemplate(template: string, parameters: ParameterSchema | null, policy: OutboundPolicy, field = "url"): URL {
  const originPart = template.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split(/[/?#]/)[0] ?? "";
  if (originPart.includes("{") || originPart.includes("}")) throw invalid(field, "placeholders may appear only in the path and query, never in the host");
  let url: URL;
  try {
    url = new URL(template.replace(PLACEHOLDER, "x"));
  } catch {
    throw invalid(field, "must be an absolute http(s) URL");
  }
  if (url.username || url.password) throw invalid(field, "must not carry credentials; put them in headers");
  const refusal = outboundRefusal(url, policy);
  if (refusal) throw invalid(field, refusal, "blocked_destination");
  if (parameters) {
    const names = new Set(propertyNames(parameters));
    const unknown = placeholdersOf(template).filter((p) => !names.has(p));
    if (unknown.length > 0) throw invalid(field, `placeholders ${unknown.map((u) => `{${u}}`).join(", ")} name no parameter`);
  }
  return url;
}

/** Checks a parameters schema at save time; throws a 400 listing the problems. */
export function assertParameters(parameters: ParameterSchema): void {
  const problems = parameterSchemaProblems(parameters);
  if (problems.length > 0) {
    throw new ApiError("invalid_request", `parameters ${problems[0]}`, {
      issues: problems.map((message) => ({ path: ["parameters"], code: "invalid_schema", message })),
    });
  }
}

/** Longest visitor text a trigger pattern is run on, in characters. */
export const PATTERN_INPUT_MAX_CHARS = 2_000;

/** Why a trigger pattern is refused, or null when it compiles and cannot backtrack without end. */
export function patternProblem(source: string): string | null {
  if (source.length > 200) return "is longer than 200 characters";
  if (/\\[1-9]|\\k</.test(source)) return "uses a back-reference";
  // A quantified group that itself holds a quantifier, like (a+)+ or (\d*)*: the classic
  // exponential backtracking shape. Refused rather than timed.
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]/.test(source)) return "nests a quantifier inside a quantified group";
  try {
    new RegExp(source, "iu");
  } catch (err) {
    return `does not compile: ${err instanceof Error ? err.message : String(err)}`;
  }
  return null;
}

/** Checks triggers at save time: patterns safe, and each names a parameter. Throws a 400. */
export function assertTriggers(triggers: ActionTriggers, parameters: ParameterSchema): void {
  const names = new Set(propertyNames(parameters));
  for (const [param, source] of Object.entries(triggers.patterns)) {
    if (!names.has(param)) throw invalid("triggers", `pattern for ${param} names no parameter`);
    const problem = patternProblem(source);
    if (problem) throw invalid("triggers", `pattern for ${param} ${problem}`, "unsafe_pattern");
  }
}
