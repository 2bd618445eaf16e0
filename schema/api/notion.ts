/** Notion as a knowledge source: pages or a database an assistant keeps in sync. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "./common";

/**
 * A Notion page or database id: the 32 hex digits, with or without dashes, or a Notion link
 * that ends in them (`https://www.notion.so/acme/Returns-0f3c…`).
 */
export const NotionIdField = z
  .string()
  .trim()
  .min(32)
  .max(2_048)
  .regex(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?:[?#].*)?$/i, "must be a Notion page or database id, or its link");

/** Pages an assistant may add in one request. */
export const MAX_NOTION_PAGES_PER_REQUEST = 50;

/** `POST /assistants/:id/notion-sources`: pages, a database, or both. */
export const NotionSourceCreateBody = z
  .strictObject({
    page_ids: z.array(NotionIdField).min(1).max(MAX_NOTION_PAGES_PER_REQUEST).optional(),
    database_id: NotionIdField.optional(),
  })
  .refine((b) => b.page_ids !== undefined || b.database_id !== undefined, { message: "give `page_ids`, `database_id` or both" })
  .openapi("NotionSourceCreate");

/** What a source is: one page, or every page of a database. */
export const NotionSourceKindSchema = z.enum(["page", "database"]);

/** Where a source's sync is: waiting in the queue, listing its pages, done, or stopped by an error. */
export const NotionSyncStatusSchema = z.enum(["queued", "syncing", "ready", "failed"]);

/** A page or database an assistant keeps in sync, and how its pages' documents stand. */
export const NotionSourceSchema = z
  .object({
    id: z.string(),
    assistant_id: z.string(),
    kind: NotionSourceKindSchema,
    /** Notion's id of the page or database, dashed. */
    notion_id: z.string(),
    /** The page's or database's title once synced; null before. */
    title: z.string().nullable(),
    /** The page's or database's link in Notion; null before the first sync. */
    url: z.string().nullable(),
    status: NotionSyncStatusSchema,
    error: z.string().nullable(),
    /** Pages the last sync found (1 for a page that exists). */
    page_count: z.number().int(),
    /** This source's documents by ingestion state. */
    documents: z.object({
      ready: z.number().int(),
      pending: z.number().int(),
      failed: z.number().int(),
    }),
    last_synced_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("NotionSource");

/** A Notion source as the API shows it. */
export type NotionSource = z.infer<typeof NotionSourceSchema>;
