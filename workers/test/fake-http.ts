import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the suites' local stand-ins for outside services (LLM providers, Slack/Twilio/SendGrid/
 * Zendesk, Stripe, a website) share: reading requests, playing a scenario's script, and running
 * on a free port of 127.0.0.1. They run in Node, beside the tests, never inside workerd.
 */

/** A fake server that is listening. */
export interface RunningFake {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Stops it, dropping open connections (a stream a test abandoned) rather than waiting for them. */
  close(): Promise<void>;
}

/** One request header as a single string (a repeated header joined, as HTTP allows). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The step a scenario's next request plays from its script (`ok`, `500,ok`, `429:1,ok`…): the
 * n-th request under `key` plays step n, and the last step repeats. `counters` is the server's.
 */
export function nextStep(counters: Map<string, number>, key: string, steps: string): string {
  const n = counters.get(key) ?? 0;
  counters.set(key, n + 1);
  const script = steps.split(",");
  return script[Math.min(n, script.length - 1)] ?? "ok";
}

/** Starts `server` on a free port of 127.0.0.1. */
export async function listenLocally(server: Server): Promise<RunningFake> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
