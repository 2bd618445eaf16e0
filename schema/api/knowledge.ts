/** The knowledge base: documents (files, URLs, manual text), their ingestion, and search. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "./common";

/** What a document was made from. */
export const SourceTypeSchema = z.enum(["pdf", "docx", "html", "markdown", "text", "url", "manual", "notion"]);

/** Where a document is in its ingestion. */
export const DocumentStatusSchema = z.enum(["queued", "processing", "ready", "failed"]);

/** Largest manual document: well inside the 1 MiB JSON body limit. */
export const MAX_MANUAL_CONTENT_CHARS = 500_000;

/** A document as the API shows it. */
export const DocumentSchema = z
  .object({
    id: z.string(),
    assistant_id: z.string(),
    title: z.string(),
    source_type: SourceTypeSchema,
    source_url: z.string().nullable(),
    status: DocumentStatusSchema,
    error: z.string().nullable(),
    chunk_count: z.number().int(),
    token_count: z.number().int(),
    size_bytes: z.number().int(),
    content_hash: z.string().nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Document");

/** A document accepted for ingestion (or recognised as one already held). */
export const DocumentAcceptedSchema = z
  .object({ id: z.string(), status: DocumentStatusSchema, duplicate: z.boolean() })
  .openapi("DocumentAccepted");

/** Limits of a same-site crawl started from a URL. */
export const CrawlOptionsSchema = z.strictObject({
  max_pages: z.number().int().min(1).max(500).default(50),
  max_depth: z.number().int().min(0).max(5).default(2),
});

/** A page a document is fetched from. */
const httpUrl = z.url({ protocol: /^https?$/ }).max(2_048);

/** A document typed or pasted in. */
export const ManualDocumentBody = z.strictObject({
  title: z.string().trim().min(1).max(300),
  content: z.string().min(1).max(MAX_MANUAL_CONTENT_CHARS),
});

/** A document fetched from a URL, or a crawl of its site. */
export const UrlDocumentBody = z.strictObject({
  url: httpUrl,
  title: z.string().trim().min(1).max(300).optional(),
  /** Follow same-site links (or the sitemap) within these limits; absent means this page only. */
  crawl: CrawlOptionsSchema.optional(),
});

/** `POST /assistants/:id/documents` as JSON: manual text or a URL. */
export const DocumentCreateBody = z.union([ManualDocumentBody, UrlDocumentBody]).openapi("DocumentCreate");

/** `GET /assistants/:id/search`. */
export const SearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(1_000),
  k: z.coerce.number().int().min(1).max(20).default(5),
  /** Retrieval to use: both fused (default), or one half alone for comparison. */
  mode: z.enum(["hybrid", "keyword", "vector"]).default("hybrid"),
});

/** One passage found by a search. */
export const SearchHitSchema = z
  .object({
    chunk_id: z.string(),
    document_id: z.string(),
    title: z.string(),
    content: z.string(),
    score: z.number(),
    source: z.string().nullable(),
  })
  .openapi("SearchHit");

/** A document as the API shows it. */
export type KnowledgeDocument = z.infer<typeof DocumentSchema>;

/** A search result. */
export type SearchHit = z.infer<typeof SearchHitSchema>;

/** A document accepted for ingestion. */
export type DocumentAccepted = z.infer<typeof DocumentAcceptedSchema>;
