/**
 * One Notion page read for ingestion: its current title, link and edit time, and its blocks as
 * sections. Null when the page is gone, trashed or no longer shared, or its source was removed:
 * its document goes too.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { ParsedDocument } from "../parsers/types";
import { schema, type Db } from "../../storage/db";
import { notionReaderFor } from "./client";
import { notionPageSections } from "./page-sections";

/** A page as ingestion indexes it. */
export interface NotionPageContent {
  title: string;
  url: string;
  lastEditedTime: string;
  parsed: ParsedDocument;
}

/** Reads page `pageId` of source `sourceId` from the workspace's connected Notion. */
export async function readNotionPage(env: Env, db: Db, workspaceId: string, sourceId: string, pageId: string): Promise<NotionPageContent | null> {
  const { notion_sources } = schema;
  const source = await db
    .select({ id: notion_sources.id })
    .from(notion_sources)
    .where(and(eq(notion_sources.id, sourceId), eq(notion_sources.workspace_id, workspaceId), isNull(notion_sources.deleted_at)))
    .get();
  if (!source) return null;
  const reader = await notionReaderFor(env, db, workspaceId);
  const page = await reader.page(pageId);
  if (!page || page.trashed) return null;
  const blocks = await reader.blocks(page.id);
  return { title: page.title, url: page.url, lastEditedTime: page.lastEditedTime, parsed: notionPageSections(page.title, blocks) };
}
