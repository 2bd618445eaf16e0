import { createRoute } from "@hono/zod-openapi";
import { ConversationCrmContactSchema } from "../../../../schema/api";
import { storedCrmContact } from "../../channels/hubspot/crm-log";
import { authorizeConversation } from "../../conversation/service";
import { authenticate } from "../middleware/authenticate";
import { errorResponses, json, router } from "../openapi";
import { ConversationIdParam } from "./conversation-shape";

/** The CRM contact a conversation's visitor was matched to (staff who may read the conversation). */
export const crmRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/conversations/{id}/crm-contact",
    tags: ["conversations"],
    summary: "The HubSpot contact the visitor was matched to by email, once the conversation was logged",
    middleware: [authenticate({ minRole: "viewer" })],
    request: { params: ConversationIdParam },
    responses: { 200: json(ConversationCrmContactSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const conv = await authorizeConversation(c.env, c.get("principal"), c.req.valid("param").id, "read");
    const row = await storedCrmContact(c.env, conv.workspace_id, conv.id);
    const contact = row
      ? { provider: row.provider, contact_id: row.contact_id, email: row.email, name: row.name, url: row.url, created: row.created_contact, matched_at: row.updated_at }
      : null;
    return c.json({ contact }, 200);
  },
);
