/**
 * The public API's shapes, written once: they validate requests, type the Worker's code,
 * generate `/api/v1/openapi.json`, and give the widget and the dashboard their types.
 * Request bodies are strict (unknown fields are a 400); response shapes document what we send.
 * One file per resource under `api/`; this index gathers them so importers need one path.
 */
export * from "./api/common";
export * from "./api/workspaces-auth";
export * from "./api/team";
export * from "./api/assistants";
export * from "./api/api-keys";
export * from "./api/conversations";
export * from "./api/messages";
export * from "./api/escalations";
export * from "./api/knowledge";
export * from "./api/notion";
export * from "./api/phrasings";
export * from "./api/integrations";
export * from "./api/billing";
export * from "./api/analytics";
export * from "./api/compliance";
export * from "./api/openai-compat";
export * from "./api/actions";
export * from "./api/crm";
export * from "./api/saved-replies";
export * from "./api/sso";
