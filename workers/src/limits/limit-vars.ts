/**
 * How every limit reads the variable that overrides it (self-hosting, load tests): a positive
 * integer, or `off` for no limit at all. Unset, empty or unreadable values keep the default, so
 * a typo never switches a limit off.
 */

/** A limit from a variable: a positive integer, null for `off`, undefined when unset or unreadable. */
export function parseLimit(raw: string | undefined): number | null | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (value === "off") return null;
  return /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
}

/** A limit after its override: the variable's number, null for `off`, else `fallback`. */
export function limitOf(raw: string | undefined, fallback: number | null): number | null {
  const parsed = parseLimit(raw);
  return parsed === undefined ? fallback : parsed;
}
