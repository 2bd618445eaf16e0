import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { ApiError, errorBody, errorCodeOf } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { zodIssues } from "../lib/zod-issues";
import type { AppEnv } from "./app-env";
import { jsonBody } from "./middleware/json-body";
import { requestContext } from "./middleware/request-context";
import { requestMetrics } from "./middleware/request-metrics";
import { securityHeaders } from "./middleware/security-headers";
import { usageMeter } from "./middleware/usage-meter";
import { visitorCors } from "./middleware/cors";
import { actionsRoutes } from "./routes/actions";
import { analyticsRoutes } from "./routes/analytics";
import { apiKeysRoutes } from "./routes/api-keys";
import { assistantsRoutes } from "./routes/assistants";
import { attachmentsRoutes } from "./routes/attachments";
import { auditLogsRoutes } from "./routes/audit-logs";
import { auth } from "./routes/auth";
import { billingRoutes } from "./routes/billing";
import { conversationAccessRoutes } from "./routes/conversation-access";
import { conversationMessagesRoutes } from "./routes/conversation-messages";
import { conversationsRoutes } from "./routes/conversations";
import { demoOrdersRoutes } from "./routes/demo-orders";
import { documentsRoutes } from "./routes/documents";
import { notionSourcesRoutes } from "./routes/notion-sources";
import { escalationsRoutes } from "./routes/escalations";
import { integrationsRoutes } from "./routes/integrations";
import { integrationsTestRoutes } from "./routes/integrations-test";
import { mcpServersRoutes } from "./routes/mcp-servers";
import { openaiCompatRoutes } from "./routes/openai-compat";
import { phrasingsRoutes } from "./routes/phrasings";
import { savedRepliesRoutes } from "./routes/saved-replies";
import { crmRoutes } from "./routes/crm";
import { health, VERSION } from "./routes/health";
import { ssoRoutes } from "./routes/sso";
import { stripeWebhookRoutes } from "./routes/stripe-webhook";
import { systemHealthRoutes } from "./routes/system-health";
import { teamRoutes } from "./routes/team";
import { visitorsRoutes } from "./routes/visitors";
import { workspaceRoutes } from "./routes/workspace";
import { emailWebhooks } from "./routes/webhooks-email";
import { slackWebhooks } from "./routes/webhooks-slack";
import { whatsAppWebhooks } from "./routes/webhooks-whatsapp";
import { zendeskWebhooks } from "./routes/webhooks-zendesk";

/** Builds the HTTP app: middleware, every resource's routes, errors in the API.md shape. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", requestContext);
  app.use("*", requestMetrics);
  app.use("*", securityHeaders);
  app.use("/api/*", visitorCors);
  app.use("/api/*", jsonBody);
  app.use("/v1/*", jsonBody);
  app.use("/api/*", usageMeter);
  app.use("/v1/*", usageMeter);

  const api = new OpenAPIHono<AppEnv>();
  api.route("/", auth);
  api.route("/", assistantsRoutes);
  api.route("/", apiKeysRoutes);
  api.route("/", auditLogsRoutes);
  api.route("/", conversationsRoutes);
  api.route("/", conversationMessagesRoutes);
  api.route("/", conversationAccessRoutes);
  api.route("/", attachmentsRoutes);
  api.route("/", analyticsRoutes);
  api.route("/", systemHealthRoutes);
  api.route("/", documentsRoutes);
  api.route("/", notionSourcesRoutes);
  api.route("/", phrasingsRoutes);
  api.route("/", teamRoutes);
  api.route("/", workspaceRoutes);
  api.route("/", ssoRoutes);
  api.route("/", integrationsRoutes);
  api.route("/", integrationsTestRoutes);
  api.route("/", escalationsRoutes);
  api.route("/", billingRoutes);
  api.route("/", visitorsRoutes);
  api.route("/", actionsRoutes);
  api.route("/", mcpServersRoutes);
  api.route("/", savedRepliesRoutes);
  api.route("/", crmRoutes);
  app.route("/api/v1", api);
  app.route("/v1", openaiCompatRoutes);
  app.route("/", health);
  app.route("/", demoOrdersRoutes);
  // Provider webhooks read their raw bodies themselves: signatures are over the exact bytes.
  app.route("/webhooks", slackWebhooks);
  app.route("/webhooks", whatsAppWebhooks);
  app.route("/webhooks", emailWebhooks);
  app.route("/webhooks", zendeskWebhooks);
  app.route("/webhooks", stripeWebhookRoutes);

  app.doc31("/api/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "EdgeDesk API", version: VERSION, description: "Public API v1. See API.md." },
    servers: [{ url: "/" }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });

  // Registered routes as (method, matcher) pairs, to tell 405 from 404.
  const known = app.openAPIRegistry.definitions.flatMap((d) =>
    d.type === "route"
      ? [{ method: d.route.method.toUpperCase(), pattern: new RegExp(`^${d.route.path.replace(/\{[^}]+\}/g, "[^/]+")}$`) }]
      : [],
  );

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const methods = known.filter((k) => k.pattern.test(path)).map((k) => k.method);
    if (methods.length > 0) {
      c.header("Allow", [...new Set(methods)].join(", "));
      return c.json(errorBody("method_not_allowed", `${c.req.method} is not allowed on ${path}`), 405);
    }
    return c.json(errorBody("not_found", `no route for ${c.req.method} ${path}`), 404);
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(errorBody(err.code, err.message, err.details), err.status);
    }
    if (err instanceof ZodError) {
      return c.json(errorBody("invalid_request", "request is invalid", { issues: zodIssues(err) }), 400);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code = errorCodeOf(err.status) ?? "invalid_request";
      return c.json(errorBody(code, err.message || code), err.status);
    }
    const requestId = c.get("requestId");
    (c.get("logger") ?? createLogger()).error("unhandled error", {
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    });
    return c.json(errorBody("internal", "internal error", { request_id: requestId }), 500);
  });

  return app;
}
