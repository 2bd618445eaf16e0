import type { MessageView } from "../../schema/protocol";

/** A stored message as the API and the socket show it, with `fields` over plain defaults. */
export function messageView(fields: Partial<MessageView> = {}): MessageView {
  return {
    id: "msg_1",
    conversation_id: "conv_1",
    seq: 1,
    sender_type: "visitor",
    sender_id: null,
    sender_name: null,
    content: "hello",
    status: "complete",
    sources: [],
    confidence: null,
    tokens_used: 0,
    latency_ms: null,
    cost_usd: 0,
    model: null,
    client_id: null,
    language: null,
    created_at: "2026-01-01T00:00:00.000Z",
    ...fields,
  };
}
