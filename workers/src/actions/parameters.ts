/**
 * An action's parameters: a JSON Schema object. Which properties are bound to the verified
 * visitor (`"x-identity"`), which travel in the query string (`"x-in": "query"`), what the
 * model is shown, and whether a set of arguments fits (`@cfworker/json-schema`, made for
 * Workers: no code generation, so no `eval`).
 */
import { Validator, type Schema } from "@cfworker/json-schema";

/** A verified visitor's claims (from the conversation's identity proof). */
export interface VerifiedIdentity {
  user_id: string;
  email?: string | undefined;
  name?: string | undefined;
}

/** The claims a parameter may be bound to. */
export const IDENTITY_CLAIMS = ["user_id", "email", "name"] as const;
/** One identity claim. */
export type IdentityClaim = (typeof IDENTITY_CLAIMS)[number];

/** A JSON Schema object as stored. */
export type ParameterSchema = Record<string, unknown>;

function propertiesOf(schema: ParameterSchema): Record<string, Record<string, unknown>> {
  const props = schema.properties;
  if (!props || typeof props !== "object" || Array.isArray(props)) return {};
  return props as Record<string, Record<string, unknown>>;
}

/** Names of the schema's required properties. */
export function requiredOf(schema: ParameterSchema): string[] {
  return Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : [];
}

/** Property names of the schema. */
export function propertyNames(schema: ParameterSchema): string[] {
  return Object.keys(propertiesOf(schema));
}

/** `{property: claim}` for every property filled from the verified visitor. */
export function identityBindings(schema: ParameterSchema): Record<string, IdentityClaim> {
  const out: Record<string, IdentityClaim> = {};
  for (const [name, prop] of Object.entries(propertiesOf(schema))) {
    const claim = prop?.["x-identity"];
    if (typeof claim === "string" && (IDENTITY_CLAIMS as readonly string[]).includes(claim)) out[name] = claim as IdentityClaim;
  }
  return out;
}

/** Properties sent in the query string whatever the method (`"x-in": "query"`). */
export function queryProperties(schema: ParameterSchema): Set<string> {
  return new Set(Object.entries(propertiesOf(schema)).filter(([, p]) => p?.["x-in"] === "query").map(([n]) => n));
}

/** The JSON type a property declares (`integer`, `string`…), if one. */
export function propertyType(schema: ParameterSchema, name: string): string | undefined {
  const t = propertiesOf(schema)[name]?.type;
  return typeof t === "string" ? t : undefined;
}

/**
 * The schema the model sees: identity-bound properties removed (the model never chooses who
 * the visitor is) and the extension keywords dropped.
 */
export function modelParameters(schema: ParameterSchema): ParameterSchema {
  const bound = identityBindings(schema);
  const properties = Object.fromEntries(
    Object.entries(propertiesOf(schema))
      .filter(([name]) => !(name in bound))
      .map(([name, prop]) => [name, Object.fromEntries(Object.entries(prop ?? {}).filter(([k]) => !k.startsWith("x-")))]),
  );
  const required = requiredOf(schema).filter((r) => !(r in bound));
  return { ...schema, type: "object", properties, ...(required.length > 0 ? { required } : { required: undefined }) };
}

/** Problems with a parameters schema at save time: empty when it can validate arguments. */
export function parameterSchemaProblems(schema: ParameterSchema): string[] {
  const problems: string[] = [];
  if (schema.type !== "object") problems.push('must have type "object"');
  if (schema.properties !== undefined && (typeof schema.properties !== "object" || schema.properties === null || Array.isArray(schema.properties))) {
    problems.push("properties must be an object");
  }
  for (const [name, prop] of Object.entries(propertiesOf(schema))) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name)) problems.push(`property ${JSON.stringify(name.slice(0, 70))} must be a simple name`);
    const claim = prop?.["x-identity"];
    if (claim !== undefined && !(IDENTITY_CLAIMS as readonly unknown[]).includes(claim)) problems.push(`x-identity of ${name} must be one of ${IDENTITY_CLAIMS.join(", ")}`);
  }
  try {
    new Validator(schema as Schema, "2020-12").validate({});
  } catch (err) {
    problems.push(`is not a usable JSON Schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  return problems;
}

/** Why `args` do not fit the schema (at most a few reasons), or an empty list when they do. */
export function argumentProblems(schema: ParameterSchema, args: Record<string, unknown>): string[] {
  const result = new Validator(schema as Schema, "2020-12", false).validate(args);
  if (result.valid) return [];
  // The deepest errors say the most; the outer "properties failed" ones repeat them.
  return result.errors
    .filter((e) => e.keyword !== "properties" && e.keyword !== "allOf" && e.keyword !== "$ref")
    .slice(0, 5)
    .map((e) => `${e.instanceLocation === "#" ? "arguments" : e.instanceLocation.replace(/^#\//, "")}: ${e.error}`);
}

/**
 * The arguments a call runs with: the caller's, with every identity-bound property set from
 * the verified visitor (a value the model supplied is overwritten) or removed when there is
 * no visitor (so a required one fails validation rather than trusting the model).
 */
export function bindIdentity(schema: ParameterSchema, args: Record<string, unknown>, identity: VerifiedIdentity | null): Record<string, unknown> {
  const out = { ...args };
  for (const [name, claim] of Object.entries(identityBindings(schema))) {
    const value = identity?.[claim];
    if (typeof value === "string" && value !== "") out[name] = value;
    else delete out[name];
  }
  return out;
}
