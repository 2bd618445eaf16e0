import { describe, expect, it } from "vitest";
import { BlockedDestinationError, outboundPolicy, STRICT_OUTBOUND_POLICY } from "./network-policy";
import { MAX_SAFE_REDIRECTS, safeFetch } from "./safe-fetch";

interface Seen {
  url: string;
  method: string;
  authorization: string | null;
  body: string | null;
}

/** A stand-in network: answers by URL from `routes`, recording each request it receives. */
function network(routes: Record<string, () => Response>) {
  const seen: Seen[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    seen.push({ url: String(input), method: init?.method ?? "GET", authorization: headers.get("authorization"), body: typeof init?.body === "string" ? init.body : null });
    const route = routes[String(input)];
    return route ? route() : new Response("not found", { status: 404 });
  }) as typeof fetch;
  return { seen, fetcher };
}

const redirect = (status: number, location: string) => () => new Response(null, { status, headers: { location } });

describe("safe fetch", () => {
  it("refuses a private URL without sending anything", async () => {
    const net = network({});
    await expect(safeFetch("http://169.254.169.254/latest/meta-data/", {}, STRICT_OUTBOUND_POLICY, net.fetcher)).rejects.toBeInstanceOf(BlockedDestinationError);
    expect(net.seen).toEqual([]);
  });

  it("checks every redirect hop and stops at one that leads to a private address", async () => {
    const net = network({
      "https://api.example.com/v1/me": redirect(302, "https://cdn.example.com/me"),
      "https://cdn.example.com/me": redirect(307, "http://0x7f.1:6379/"),
    });
    const err = await safeFetch("https://api.example.com/v1/me", {}, STRICT_OUTBOUND_POLICY, net.fetcher).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockedDestinationError);
    expect((err as Error).message).toBe(
      "redirected from cdn.example.com to a refused address: 127.0.0.1:6379 is a loopback address (127.0.0.0/8); only public internet addresses can be fetched",
    );
    expect(net.seen.map((s) => s.url)).toEqual(["https://api.example.com/v1/me", "https://cdn.example.com/me"]);
  });

  it("follows public redirects, dropping credentials when the origin changes and the body after a 303", async () => {
    const net = network({
      "https://api.example.com/send": redirect(307, "/send-v2"),
      "https://api.example.com/send-v2": redirect(303, "https://files.example.net/receipt"),
      "https://files.example.net/receipt": () => new Response("done"),
    });
    const res = await safeFetch("https://api.example.com/send", { method: "POST", body: "x=1", headers: { authorization: "Bearer secret" } }, STRICT_OUTBOUND_POLICY, net.fetcher);
    expect(await res.text()).toBe("done");
    expect(net.seen).toEqual([
      { url: "https://api.example.com/send", method: "POST", authorization: "Bearer secret", body: "x=1" },
      { url: "https://api.example.com/send-v2", method: "POST", authorization: "Bearer secret", body: "x=1" },
      { url: "https://files.example.net/receipt", method: "GET", authorization: null, body: null },
    ]);
  });

  it("returns a 3xx untouched with redirect: manual, for callers that follow hops themselves", async () => {
    const net = network({ "https://example.com/old": redirect(301, "http://10.0.0.1/") });
    const res = await safeFetch("https://example.com/old", { redirect: "manual" }, STRICT_OUTBOUND_POLICY, net.fetcher);
    expect(res.status).toBe(301);
    expect(net.seen).toHaveLength(1);
  });

  it("gives up after too many redirects", async () => {
    const net = network({ "https://loop.example.com/": redirect(302, "https://loop.example.com/") });
    await expect(safeFetch("https://loop.example.com/", {}, STRICT_OUTBOUND_POLICY, net.fetcher)).rejects.toThrow(/more than 5 redirects/);
    expect(net.seen).toHaveLength(MAX_SAFE_REDIRECTS + 1);
  });

  it("reaches a local server only through the test allowance", async () => {
    const net = network({ "http://127.0.0.1:4010/ok": () => new Response("local") });
    const policy = outboundPolicy({ ENVIRONMENT: "test", ALLOW_PRIVATE_FETCH: "127.0.0.1:4010" });
    expect(await (await safeFetch("http://127.0.0.1:4010/ok", {}, policy, net.fetcher)).text()).toBe("local");
    await expect(safeFetch("http://127.0.0.1:4010/ok", {}, STRICT_OUTBOUND_POLICY, net.fetcher)).rejects.toBeInstanceOf(BlockedDestinationError);
    expect(net.seen).toHaveLength(1);
  });
});
