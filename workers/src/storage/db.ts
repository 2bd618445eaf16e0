import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../../schema/d1";

/** The drizzle handle over D1 that every service queries through. */
export type Db = ReturnType<typeof buildDb>;

function buildDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

// One handle per binding for the isolate's life: drizzle derives the schema's relational config
// on every construction, which every request would otherwise pay for again. The handle holds no
// per-request state (no transaction, no cache), so sharing it changes nothing but the cost.
const handles = new WeakMap<D1Database, Db>();

/** Drizzle over the `DB` binding, with the schema for typed queries. */
export function createDb(d1: D1Database): Db {
  let db = handles.get(d1);
  if (!db) {
    db = buildDb(d1);
    handles.set(d1, db);
  }
  return db;
}

export { schema };
