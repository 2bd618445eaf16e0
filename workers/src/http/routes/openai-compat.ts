import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { ChatCompletionBody } from "../../../../schema/api";
import { answerCompletion, chatCompletionId, listModels, type CompletionRequest } from "../../conversation/completions";
import { authenticate } from "../middleware/authenticate";
import { errorResponses, json, jsonBody, router } from "../openapi";

/** The OpenAI chat API over our assistants, so the official `openai` clients work unchanged. */
export const openaiCompatRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/chat/completions",
      tags: ["openai-compatible"],
      summary: "OpenAI-compatible chat completion; `model` is an assistant id",
      middleware: [authenticate({ minRole: "viewer", allow: ["secret_key", "user"] })],
      request: { body: jsonBody(ChatCompletionBody) },
      responses: {
        200: {
          description: "an OpenAI chat.completion, or chat.completion.chunk events over SSE",
          content: { "application/json": { schema: z.record(z.string(), z.unknown()) }, "text/event-stream": { schema: z.string() } },
        },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const request: CompletionRequest = {
        assistantId: body.model,
        messages: body.messages,
        temperature: body.temperature ?? undefined,
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      };
      const completion = await answerCompletion(c.env, c.get("principal").workspaceId, request, c.req.raw.signal);
      const id = chatCompletionId();
      const created = Math.floor(Date.now() / 1000);
      const base = { id, created, model: body.model };

      if (body.stream) {
        return streamSSE(c, async (sse) => {
          const chunk = (delta: Record<string, string>, finish: string | null) =>
            JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
          await sse.writeSSE({ data: chunk({ role: "assistant", content: "" }, null) });
          let step = await completion.next();
          while (!step.done) {
            await sse.writeSSE({ data: chunk({ content: step.value }, null) });
            step = await completion.next();
          }
          const outcome = step.value;
          await sse.writeSSE({ data: chunk({}, outcome.finishReason) });
          if (body.stream_options?.include_usage) {
            await sse.writeSSE({
              data: JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage: outcome.usage }),
            });
          }
          await sse.writeSSE({ data: "[DONE]" });
        });
      }

      let step = await completion.next();
      let content = "";
      while (!step.done) {
        content += step.value;
        step = await completion.next();
      }
      const outcome = step.value;
      return c.json(
        {
          ...base,
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: outcome.finishReason, logprobs: null }],
          usage: outcome.usage,
          // Our additions, ignored by OpenAI clients: what grounded the answer.
          sources: outcome.sources,
          confidence: outcome.confidence,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/models",
      tags: ["openai-compatible"],
      summary: "The workspace's assistants as OpenAI models",
      middleware: [authenticate({ minRole: "viewer", allow: ["secret_key", "user"] })],
      responses: { 200: json(z.object({ object: z.literal("list"), data: z.array(z.record(z.string(), z.unknown())) })), ...errorResponses(401, 403) },
    }),
    async (c) => c.json({ object: "list" as const, data: await listModels(c.env, c.get("principal").workspaceId) }, 200),
  );
