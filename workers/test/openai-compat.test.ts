import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { addKnowledge, SHOP_ARTICLES } from "./conversation-helpers";
import { createAssistant, createSecretKey, signUp } from "./helpers";

async function setup() {
  const s = await signUp("Dev");
  const assistant = await createAssistant(s.access_token);
  await addKnowledge(s.workspace.id, assistant.id, SHOP_ARTICLES);
  const key = await createSecretKey(s.access_token, "viewer");
  const client = new OpenAI({
    apiKey: key.key,
    baseURL: "http://api.test/v1",
    maxRetries: 0,
    fetch: (url: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(url, init)),
  });
  return { s, assistant, key, client };
}

describe("OpenAI-compatible endpoint, through the official openai client", () => {
  it("answers a completion grounded in the assistant's knowledge", async () => {
    const { assistant, client } = await setup();
    const res = await client.chat.completions.create({
      model: assistant.id,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "How long does standard shipping take?" },
      ],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe(assistant.id);
    expect(res.choices[0]?.message.content).toMatch(/3 to 5 business days/);
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams chunks the client assembles, with usage when asked", async () => {
    const { assistant, client } = await setup();
    const stream = await client.chat.completions.create({
      model: assistant.id,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "How should I store the battery in winter?" }],
    });
    let text = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toMatch(/indoors/);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("uses earlier turns as history and the last user message as the question", async () => {
    const { assistant, client } = await setup();
    const res = await client.chat.completions.create({
      model: assistant.id,
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello! How can I help?" },
        { role: "user", content: "What is the refund policy for unused items?" },
      ],
    });
    expect(res.choices[0]?.message.content).toMatch(/30 days/);
  });

  it("lists the workspace's assistants as models, and refuses other workspaces' assistants", async () => {
    const { assistant, client } = await setup();
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([assistant.id]);

    const other = await setup();
    await expect(
      client.chat.completions.create({ model: other.assistant.id, messages: [{ role: "user", content: "shipping?" }] }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("refuses a bad key and a malformed request with OpenAI-readable errors", async () => {
    const { assistant } = await setup();
    const bad = new OpenAI({
      apiKey: "sk_live_nope",
      baseURL: "http://api.test/v1",
      maxRetries: 0,
      fetch: (url: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(url, init)),
    });
    await expect(bad.chat.completions.create({ model: assistant.id, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 401,
    });
    const { client } = await setup();
    await expect(client.chat.completions.create({ model: assistant.id, messages: [] })).rejects.toMatchObject({ status: 400 });
  });
});
