/**
 * Where a workspace's data lives. A workspace signed up with `data_region: "eu"` keeps its
 * conversation objects, knowledge index objects, vector objects and files in Cloudflare's EU
 * jurisdiction: its Durable Object ids come from each namespace's `jurisdiction("eu")`
 * sub-namespace and its files go to the `FILES_EU` bucket (created with `--jurisdiction eu`).
 * Every lookup of those goes through `workspacePlace` (or `placeOf` when the region is known).
 */
import { eq } from "drizzle-orm";
import type { DataRegion } from "../../../schema/api";
import { createDb, schema } from "./db";

/** The bindings a place is chosen among, D1 to read a workspace's region from, and `ENVIRONMENT`. */
export type PlaceEnv = Pick<Env, "DB" | "ENVIRONMENT" | "CONVERSATION" | "KNOWLEDGE_INDEX" | "VECTOR_INDEX" | "FILES" | "FILES_EU">;

/** Objects of one Durable Object class, by name: a namespace, or its EU jurisdiction. */
export type NamedObjects<T extends Rpc.DurableObjectBranded> = Pick<DurableObjectNamespace<T>, "getByName">;

/** Where one workspace's per-workspace objects and files live. */
export interface WorkspacePlace {
  region: DataRegion;
  /** `ConversationDO`s, by conversation id. */
  conversations: NamedObjects<ObjectOf<"CONVERSATION">>;
  /** `KnowledgeIndexDO`s, by assistant id. */
  knowledge: NamedObjects<ObjectOf<"KNOWLEDGE_INDEX">>;
  /** `LocalVectorIndexDO`s (an assistant's vectors and embedding cache), by assistant id. */
  vectors: NamedObjects<ObjectOf<"VECTOR_INDEX">>;
  /** Uploaded documents and attachments. */
  files: R2Bucket;
}

type ObjectOf<K extends "CONVERSATION" | "KNOWLEDGE_INDEX" | "VECTOR_INDEX"> = Env[K] extends DurableObjectNamespace<infer T> ? T : never;

/**
 * Names given to EU objects where the runtime has no jurisdictions: local workerd (`npm start`,
 * the tests) throws "Jurisdiction restrictions are not implemented", so there an EU object lives
 * in the default namespace under this prefix, apart from any default object of the same name.
 * Never in production: there a failing `jurisdiction("eu")` is an error, not a fallback.
 */
export const LOCAL_EU_NAME_PREFIX = "eu-local:";

/** `ns`'s EU jurisdiction (or, off production only, the local stand-in above). */
function euObjects<T extends Rpc.DurableObjectBranded>(ns: DurableObjectNamespace<T>, environment: string): NamedObjects<T> {
  try {
    return ns.jurisdiction("eu");
  } catch (err) {
    if (environment === "production") throw err;
    return { getByName: (name, options) => ns.getByName(LOCAL_EU_NAME_PREFIX + name, options) };
  }
}

/** The place of a workspace whose region is known. */
export function placeOf(env: Omit<PlaceEnv, "DB">, region: DataRegion): WorkspacePlace {
  if (region === "eu") {
    return {
      region,
      conversations: euObjects(env.CONVERSATION, env.ENVIRONMENT),
      knowledge: euObjects(env.KNOWLEDGE_INDEX, env.ENVIRONMENT),
      vectors: euObjects(env.VECTOR_INDEX, env.ENVIRONMENT),
      files: env.FILES_EU,
    };
  }
  return { region, conversations: env.CONVERSATION, knowledge: env.KNOWLEDGE_INDEX, vectors: env.VECTOR_INDEX, files: env.FILES };
}

/**
 * Regions of workspaces this isolate has looked up. A region never changes after sign-up, so an
 * entry never goes stale; the bound only keeps a long-lived isolate's memory flat.
 */
const knownRegions = new Map<string, DataRegion>();
const MAX_KNOWN_REGIONS = 10_000;

/**
 * A workspace's data region (D1 once per isolate, then memory). A workspace D1 does not hold
 * (never created, or its row purged) is `default`, and is not remembered.
 */
export async function workspaceRegion(env: Pick<Env, "DB">, workspaceId: string): Promise<DataRegion> {
  const known = knownRegions.get(workspaceId);
  if (known) return known;
  const { workspaces } = schema;
  const row = await createDb(env.DB).select({ region: workspaces.data_region }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  if (!row) return "default";
  if (knownRegions.size >= MAX_KNOWN_REGIONS) knownRegions.clear();
  knownRegions.set(workspaceId, row.region);
  return row.region;
}

/** Where a workspace's conversations, knowledge and files live: the one way to reach them. */
export async function workspacePlace(env: PlaceEnv, workspaceId: string): Promise<WorkspacePlace> {
  return placeOf(env, await workspaceRegion(env, workspaceId));
}
