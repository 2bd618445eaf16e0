import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../../schema/d1";

/** The drizzle handle over D1 that every service queries through. */
export type Db = ReturnType<typeof createDb>;

/** Drizzle over the `DB` binding, with the schema for typed queries. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };
