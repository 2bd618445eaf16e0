/**
 * The live side of a conversation page: joins the conversation's WebSocket as an agent and
 * folds its events (visitor messages, streamed answers, agent replies, status changes, the
 * actions an answer runs and the confirmations it asks for) into the messages on screen. Reconnects with a fresh token and resumes after the last message.
 */
import { useEffect, useReducer, useRef, useState } from "react";
import type { ConversationStatus, Message } from "../../../schema/api";
import type { ClientFrame, SocketEvent } from "../../../schema/protocol";

/** Socket details from the loader (or the token route, on reconnect). */
export interface SocketInfo {
  url: string;
  token: string;
  /** What the API granted this token: replying as an agent, or watching only. */
  role: "agent" | "observer";
}

/** An action call seen on the socket while the answer that runs it is still being written. */
export interface LiveToolCall {
  call_id: string;
  name: string;
  status: "running" | "done" | "failed" | "awaiting_confirmation";
  /** What a changing action will do, from its `confirm_request`. */
  summary: string | null;
}

/** What the page shows, kept up to date by the socket. */
export interface LiveState {
  messages: Message[];
  /** Answers being streamed: message id → text so far. */
  drafts: Record<string, string>;
  /** Action calls of answers not stored yet, in the order they started. */
  tools: LiveToolCall[];
  status: ConversationStatus;
  humanTakeover: boolean;
}

type Action = { kind: "event"; event: SocketEvent } | { kind: "reset"; state: LiveState };

function upsert(messages: Message[], m: Message): Message[] {
  const i = messages.findIndex((x) => x.id === m.id);
  if (i >= 0) return messages.map((x, j) => (j === i ? m : x));
  return [...messages, m].sort((a, b) => a.seq - b.seq);
}

/** The live call list with `call` added, or updated in place (a confirmation keeps its summary). */
function upsertTool(tools: LiveToolCall[], call: LiveToolCall): LiveToolCall[] {
  const i = tools.findIndex((t) => t.call_id === call.call_id);
  if (i < 0) return [...tools, call];
  return tools.map((t, j) => (j === i ? { ...call, summary: call.summary ?? t.summary } : t));
}

function reduce(state: LiveState, action: Action): LiveState {
  if (action.kind === "reset") return action.state;
  const e = action.event;
  switch (e.type) {
    case "message":
    case "agent_message":
    case "response": {
      const drafts = { ...state.drafts };
      delete drafts[e.message.id];
      // A stored answer shows its own calls: the live ones it carries are done with.
      const stored = new Set((e.message.tool_calls ?? []).map((c) => c.call_id));
      const tools = stored.size > 0 ? state.tools.filter((t) => !stored.has(t.call_id)) : state.tools;
      return { ...state, messages: upsert(state.messages, e.message), drafts, tools };
    }
    case "tool":
      return { ...state, tools: upsertTool(state.tools, { call_id: e.call_id, name: e.name, status: e.status, summary: null }) };
    case "confirm_request":
      return { ...state, tools: upsertTool(state.tools, { call_id: e.call_id, name: e.name, status: "awaiting_confirmation", summary: e.summary }) };
    case "delta":
      return { ...state, drafts: { ...state.drafts, [e.message_id]: (state.drafts[e.message_id] ?? "") + e.delta } };
    case "status":
      return { ...state, status: e.status, humanTakeover: e.human_takeover };
    case "escalation":
      return { ...state, status: "escalated" };
    default:
      return state;
  }
}

const RECONNECT_MAX_MS = 15_000;
const TYPING_SHOWN_MS = 4_000;

/** Connection as the page says it. */
export type Connection = "connecting" | "live" | "reconnecting" | "offline";

/**
 * Keeps `initial` (from the loader) live. `renewSocket` fetches a fresh token when one
 * expired or the API closed the socket because the user's role changed. Returns the state,
 * the connection, who is typing, and what the current token may do (`role`): the page offers
 * replying only while the API says `agent`.
 */
export function useLiveConversation(initial: LiveState, socket: SocketInfo | null, renewSocket: () => Promise<SocketInfo>) {
  const [state, dispatch] = useReducer(reduce, initial);
  const [connection, setConnection] = useState<Connection>(socket ? "connecting" : "offline");
  const [typing, setTyping] = useState<string | null>(null);
  const [role, setRole] = useState<SocketInfo["role"]>(socket?.role ?? "observer");
  // A reload hands out a fresh token, whose role is the API's latest word.
  const loadedRole = socket?.role;
  useEffect(() => {
    if (loadedRole) setRole(loadedRole);
  }, [loadedRole]);
  const lastId = useRef<string | null>(null);
  lastId.current = state.messages.at(-1)?.id ?? null;

  // Fresh loader data (after an action) replaces what the socket built, then the socket goes on.
  useEffect(() => {
    dispatch({ kind: "reset", state: initial });
  }, [initial]);

  // The loader hands out a fresh token on every reload; the open socket is kept all the same.
  const firstSocket = useRef(socket);
  if (socket && socket.url !== firstSocket.current?.url) firstSocket.current = socket; // another conversation
  const socketUrl = socket?.url;
  useEffect(() => {
    if (!firstSocket.current || !socketUrl) return;
    let info = { ...firstSocket.current, url: socketUrl };
    let ws: WebSocket | null = null;
    let closed = false;
    let attempts = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let typingTimer: ReturnType<typeof setTimeout> | undefined;

    const connect = () => {
      ws = new WebSocket(`${info.url}?token=${encodeURIComponent(info.token)}`);
      ws.onopen = () => {
        attempts = 0;
        setConnection("live");
        // Anything sent while the page loaded or the socket was down is replayed.
        ws?.send(JSON.stringify({ type: "resume", after: lastId.current } satisfies ClientFrame));
      };
      ws.onmessage = (m) => {
        let event: SocketEvent;
        try {
          event = JSON.parse(String(m.data)) as SocketEvent;
        } catch {
          return;
        }
        if (event.type === "typing") {
          setTyping(event.sender_type === "visitor" ? "The visitor is typing…" : event.sender_type === "assistant" ? "The assistant is answering…" : null);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => setTyping(null), TYPING_SHOWN_MS);
          return;
        }
        if (event.type === "response" || event.type === "message" || event.type === "agent_message") setTyping(null);
        dispatch({ kind: "event", event });
      };
      ws.onclose = () => {
        if (closed) return;
        setConnection("reconnecting");
        attempts += 1;
        const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempts);
        retry = setTimeout(async () => {
          try {
            info = await renewSocket();
            setRole(info.role);
          } catch {
            // keep the old token; the next attempt asks again
          }
          if (!closed) connect();
        }, delay);
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(retry);
      clearTimeout(typingTimer);
      ws?.close(1000, "page closed");
    };
  }, [socketUrl, renewSocket]);

  return { state, connection, typing, role };
}
