/**
 * The conversation WebSocket protocol, defined once in `schema/protocol.ts` for the Worker, the
 * widget and the dashboard; re-exported here for the conversation code that imports it beside it.
 */
export * from "../../../schema/protocol";
