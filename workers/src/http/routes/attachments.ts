import { createRoute, z } from "@hono/zod-openapi";
import { idOf } from "../../../../schema/api";
import {
  ATTACHMENT_TYPES,
  MAX_ATTACHMENT_BYTES,
  readAttachment,
  storeAttachment,
  type AttachmentView,
} from "../../conversation/attachments";
import { authorizeConversation } from "../../conversation/service";
import { ANYONE, authenticate } from "../middleware/authenticate";
import { ApiError, notFound } from "../../lib/errors";
import { errorResponses, json, router } from "../openapi";
import { workspacePlace } from "../../storage/data-region";

// The attachment schemas live beside their only route while schema/api.ts is owned elsewhere.
const AttachmentSchema = z
  .object({
    id: z.string().openapi({ example: "att_3fKq9Lm2Xp7Rt4Vw8Yz1" }),
    conversation_id: z.string(),
    filename: z.string(),
    content_type: z.enum(ATTACHMENT_TYPES),
    size: z.number().int(),
    url: z.string().openapi({ description: "GET it with the conversation token (or a staff credential)" }),
    created_at: z.string(),
  })
  .openapi("Attachment");

const ConversationParam = z.strictObject({ id: idOf("conv").openapi({ param: { name: "id", in: "path" } }) });
const AttachmentParams = ConversationParam.extend({
  attId: idOf("att").openapi({ param: { name: "attId", in: "path" } }),
});

const visitorOrStaff = authenticate({ allow: ANYONE });

/** The URL of an attachment on the host the caller used. */
function attachmentUrl(requestUrl: string, view: AttachmentView): string {
  return `${new URL(requestUrl).origin}/api/v1/conversations/${view.conversation_id}/attachments/${view.id}`;
}

/**
 * RFC 6266 `Content-Disposition`: an ASCII fallback name and the exact one in UTF-8.
 * PDFs download; images display.
 */
function contentDisposition(view: AttachmentView): string {
  const kind = view.content_type === "application/pdf" ? "attachment" : "inline";
  const ascii = view.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(view.filename)}`;
}

/** Files attached to a conversation: images and PDFs the visitor sends with a message. */
export const attachmentsRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/attachments",
      tags: ["conversations"],
      summary: `Attach a file (multipart \`file\`: PNG, JPEG, GIF, WebP or PDF, checked by content; ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB max)`,
      description:
        "Stores the file with the conversation. A message refers to it by its `url` (the widget sends a Markdown link " +
        "`[filename](url)` in the message content); reading it needs the conversation token or a staff credential.",
      middleware: [visitorOrStaff],
      request: {
        params: ConversationParam,
        body: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: z.object({
                file: z.custom<File>((v) => v instanceof File, "a file is required").openapi({ type: "string", format: "binary" }),
              }),
            },
          },
        },
      },
      responses: { 201: json(AttachmentSchema, "the stored attachment"), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const conv = await authorizeConversation(c.env, c.get("principal"), id, "write");
      let form: FormData;
      try {
        form = await c.req.formData();
      } catch {
        throw new ApiError("invalid_request", "send the file as multipart/form-data with a `file` part", { field: "file" });
      }
      const file = form.get("file");
      if (!file || typeof file === "string") throw new ApiError("invalid_request", "a `file` part is required", { field: "file" });
      if (file.size > MAX_ATTACHMENT_BYTES) {
        throw new ApiError("payload_too_large", `attachments are limited to ${MAX_ATTACHMENT_BYTES} bytes`, {
          limit_bytes: MAX_ATTACHMENT_BYTES,
        });
      }
      const view = await storeAttachment(
        (await workspacePlace(c.env, conv.workspace_id)).files,
        { workspaceId: conv.workspace_id, conversationId: conv.id },
        { name: file.name || "attachment", bytes: new Uint8Array(await file.arrayBuffer()) },
      );
      return c.json({ ...view, url: attachmentUrl(c.req.url, view) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations/{id}/attachments/{attId}",
      tags: ["conversations"],
      summary: "Download an attachment (the conversation's own token, or staff of its workspace)",
      middleware: [visitorOrStaff],
      request: { params: AttachmentParams },
      responses: {
        200: {
          description: "the file",
          content: Object.fromEntries(
            ATTACHMENT_TYPES.map((t) => [t, { schema: z.string().openapi({ type: "string", format: "binary" }) }]),
          ),
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { id, attId } = c.req.valid("param");
      const conv = await authorizeConversation(c.env, c.get("principal"), id, "read");
      const found = await readAttachment((await workspacePlace(c.env, conv.workspace_id)).files, { workspaceId: conv.workspace_id, conversationId: conv.id }, attId);
      if (!found) throw notFound("attachment");
      const { view, object } = found;
      return new Response(object.body, {
        status: 200,
        headers: {
          "Content-Type": view.content_type,
          "Content-Length": String(view.size),
          "Content-Disposition": contentDisposition(view),
          ETag: object.httpEtag,
          // Private to this visitor and the staff; the bytes of an id never change.
          "Cache-Control": "private, max-age=3600, immutable",
          "X-Content-Type-Options": "nosniff",
          // Opened directly, the file is inert: no scripts, no plugins, nothing it can load.
          "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
          "Cross-Origin-Resource-Policy": "cross-origin",
        },
      });
    },
  );
