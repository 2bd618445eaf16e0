import { createRoute, z } from "@hono/zod-openapi";
import type { HonoRequest } from "hono";
import {
  DocumentAcceptedSchema,
  DocumentCreateBody,
  DocumentSchema,
  idOf,
  ManualDocumentBody,
  page,
  PaginationQuery,
  SearchHitSchema,
  SearchQuery,
  UrlDocumentBody,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { acceptDocument, deleteDocument, getDocument, listDocuments, reindexDocument, toDocument, type DocumentInput } from "../../knowledge/documents";
import { searchKnowledgeIfClaimed, searchKnowledgeWith, searchRequest } from "../../knowledge/search";
import { createDb } from "../../storage/db";
import { getAssistant } from "../../tenancy/assistants";
import { authenticate } from "../middleware/authenticate";
import { ApiError } from "../../lib/errors";
import { auditContext, errorResponses, json, router } from "../openapi";

const AssistantParam = z.strictObject({ id: idOf("ast").openapi({ param: { name: "id", in: "path" } }) });
const DocumentParam = z.strictObject({ id: idOf("doc").openapi({ param: { name: "id", in: "path" } }) });

/** Reads the upload body: a multipart file, or JSON `{title, content}` / `{url}`. */
async function readDocumentInput(req: HonoRequest): Promise<DocumentInput> {
  const type = (req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await req.formData();
    } catch {
      throw new ApiError("invalid_request", "the multipart body could not be read");
    }
    const file = form.get("file");
    if (!file || typeof file === "string") throw new ApiError("invalid_request", "a `file` part is required", { field: "file" });
    const title = form.get("title");
    if (title !== null && (typeof title !== "string" || title.length > 300)) {
      throw new ApiError("invalid_request", "`title` must be text of at most 300 characters", { field: "title" });
    }
    return { kind: "file", filename: file.name || "upload", bytes: new Uint8Array(await file.arrayBuffer()), title: title ?? undefined };
  }
  const body: unknown = await req.json();
  const manual = ManualDocumentBody.safeParse(body);
  if (manual.success) return { kind: "manual", ...manual.data };
  const url = UrlDocumentBody.parse(body); // a ZodError here becomes a 400 naming the fields
  return { kind: "url", url: url.url, title: url.title, crawl: url.crawl };
}

/** Knowledge-base documents and search. Managers change knowledge; viewers read and search it. */
export const documentsRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/documents",
      tags: ["knowledge"],
      summary: "Add a document: a file (multipart `file`: pdf, docx, html, md, txt; 25 MB max), `{title, content}` or `{url}`",
      middleware: [authenticate({ minRole: "manager" })],
      request: {
        params: AssistantParam,
        // Not `required`: each media type is then validated only when the request uses it.
        body: {
          required: false,
          content: {
            "multipart/form-data": {
              schema: z.object({
                file: z.custom<File>((v) => v instanceof File, "a file is required").openapi({ type: "string", format: "binary" }),
                title: z.string().max(300).optional(),
              }),
            },
            "application/json": { schema: DocumentCreateBody },
          },
        },
      },
      responses: { 202: json(DocumentAcceptedSchema, "queued for processing (or the identical existing document)"), ...errorResponses(400, 401, 403, 404, 413, 415) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      const input = await readDocumentInput(c.req);
      const { document, duplicate } = await acceptDocument(c.env, principal.workspaceId, id, input);
      if (!duplicate) {
        await recordAudit(
          c.env,
          principal,
          { action: "document.created", targetType: "document", targetId: document.id, metadata: { source_type: document.source_type } },
          auditContext(c),
        );
      }
      return c.json({ id: document.id, status: document.status, duplicate }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}/documents",
      tags: ["knowledge"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: AssistantParam, query: PaginationQuery },
      responses: { 200: json(page(DocumentSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listDocuments(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id, limit, cursor);
      return c.json({ data: result.data.map(toDocument), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}/search",
      tags: ["knowledge"],
      summary: "Search an assistant's knowledge base (hybrid keyword + vector retrieval)",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: AssistantParam, query: SearchQuery },
      responses: { 200: json(z.object({ data: z.array(SearchHitSchema) })), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { q, k, mode } = c.req.valid("query");
      const scope = { workspaceId: c.get("principal").workspaceId, assistantId: id };
      // The search starts alongside the check that the assistant is this workspace's, and
      // answers only from an index the workspace already owns: searching another workspace's
      // assistant id claims nothing. Its hits are used only once the check has passed.
      // The question is embedded once, for the early search and, if that declines, the ordinary one.
      const prepared = searchRequest(c.env, q, k, mode);
      const early = prepared
        .then((request) => (request ? searchKnowledgeIfClaimed(c.env, scope, request) : []))
        .then(
          (hits) => ({ hits }),
          (error: unknown) => ({ error }),
        );
      await getAssistant(createDb(c.env.DB), scope.workspaceId, id);
      const outcome = await early;
      if ("error" in outcome) throw outcome.error;
      const request = await prepared;
      const hits = outcome.hits ?? (request ? await searchKnowledgeWith(c.env, scope, request) : []);
      return c.json(
        { data: hits.map((h) => ({ chunk_id: h.chunk_id, document_id: h.document_id, title: h.title, content: h.content, score: h.score, source: h.source })) },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/documents/{id}",
      tags: ["knowledge"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: DocumentParam },
      responses: { 200: json(DocumentSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(toDocument(await getDocument(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/documents/{id}/reindex",
      tags: ["knowledge"],
      summary: "Process a document again",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: DocumentParam },
      responses: { 202: json(DocumentSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(toDocument(await reindexDocument(c.env, c.get("principal").workspaceId, c.req.valid("param").id)), 202),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/documents/{id}",
      tags: ["knowledge"],
      summary: "Delete a document with its file, chunks, vectors and keyword index entries",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: DocumentParam },
      responses: { 204: { description: "deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      await deleteDocument(c.env, principal.workspaceId, id);
      await recordAudit(c.env, principal, { action: "document.deleted", targetType: "document", targetId: id }, auditContext(c));
      return c.body(null, 204);
    },
  );
