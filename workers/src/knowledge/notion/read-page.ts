/**
 * One Notion page read for ingestion: its current title, link and edit time, and its blocks as
 * sections. Null when the page is gone, trashed or no longer shared: its document goes too.
 */
import type { ParsedDocument } from "../parsers/types";
import type { Db } from "../../storage/db";
import { notionReaderFor } from "./client";
import { notionPageSections } from "./page-sections";

/** A page as ingestion indexes it. */
export interface NotionPageContent {
  title: string;
  url: string;
  lastEditedTime: string;
  parsed: ParsedDocument;
}

/** Reads page `pageId` of the workspace's connected Notion. */
export async function readNotionPage(env: Env, db: Db, workspaceId: string, pageId: string): Promise<NotionPageContent | null> {
  const reader = await notionReaderFor(env, db, workspaceId);
  const page = await reader.page(pageId);
  if (!page || page.trashed) return null;
  const blocks = await reader.blocks(page.id);
  return { title: page.title, url: page.url, lastEditedTime: page.lastEditedTime, parsed: notionPageSections(page.title, blocks) };
}
