/**
 * Who hears a conversation's events: its WebSockets (visitor tabs, agents, observers) and the
 * REST callers streaming the answer to their message (`submit`).
 */
import type { ServerEvent } from "./protocol";

/** A REST caller waiting on the answer to one message. */
export interface Subscriber {
  /** The visitor message whose answer it waits for. */
  replyTo: string;
  /** Takes the event and its JSON, serialised once for every socket and subscriber. */
  write: (event: ServerEvent, json: string) => void;
  /** Ends its stream early (it hears nothing more). */
  end?: () => void;
}

/** Sends a conversation object's events to its sockets and REST subscribers. */
export class FanOut {
  /** REST callers streaming an answer. Memory only: a restart ends their requests anyway. */
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly ctx: DurableObjectState) {}

  /** Adds a REST subscriber; the returned function removes it. */
  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * Ends the REST streams waiting on `replyTo` now: a channel job that was asked to confirm a call
   * has what it needs, and the answer goes on in the stream of the visitor's reply.
   */
  endStreams(replyTo: string): void {
    for (const s of [...this.subscribers]) {
      if (s.replyTo !== replyTo) continue;
      this.subscribers.delete(s);
      s.end?.();
    }
  }

  /** Sends one socket an event; a socket that is closing is left to its close handler. */
  send(ws: WebSocket, event: ServerEvent): void {
    try {
      ws.send(JSON.stringify(event));
    } catch {
      // The socket is closing; its close handler tidies up.
    }
  }

  /**
   * Sends an event to every socket (visitor typing only reaches staff) except `skip`, and to the
   * REST streams waiting on `replyTo` (all of them when it is not given). The event is
   * serialised once, whatever the number of sockets and streams.
   */
  broadcast(event: ServerEvent, skip?: WebSocket, replyTo?: string): void {
    const staffOnly = event.type === "typing" && event.sender_type === "visitor";
    const json = JSON.stringify(event);
    for (const ws of staffOnly ? this.staffSockets() : this.ctx.getWebSockets()) {
      if (ws === skip) continue;
      try {
        ws.send(json);
      } catch {
        // closing socket
      }
    }
    for (const s of this.subscribers) if (replyTo === undefined || s.replyTo === replyTo) s.write(event, json);
  }

  /** Open sockets of staff: agents and observers. */
  staffSockets(): WebSocket[] {
    return [...this.ctx.getWebSockets("agent"), ...this.ctx.getWebSockets("observer")];
  }

  /** Closes every socket (the conversation is being erased). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
    }
  }
}
