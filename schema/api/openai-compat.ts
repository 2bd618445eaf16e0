/** The OpenAI-compatible chat endpoint's request, so the official `openai` clients work unchanged. */
import { z } from "@hono/zod-openapi";
import { RAW_MESSAGE_CHARS } from "../protocol-limits";
import { idOf } from "./common";

/** A message part of the OpenAI request shape: text parts are read, others ignored. */
const OpenAIContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/**
 * The OpenAI chat request. Loose on purpose: official clients send fields we do not use
 * (`top_p`, `user`, `seed`…), and refusing them would break those clients.
 */
export const ChatCompletionBody = z
  .looseObject({
    model: idOf("ast").openapi({ description: "the assistant id" }),
    messages: z
      .array(
        z.looseObject({
          role: z.enum(["system", "developer", "user", "assistant", "tool"]),
          content: z.union([z.string().max(RAW_MESSAGE_CHARS * 4), z.array(OpenAIContentPart).max(50), z.null()]),
        }),
      )
      .min(1)
      .max(200),
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_tokens: z.number().int().min(1).max(8192).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(8192).nullable().optional(),
    n: z.literal(1).nullable().optional(),
  })
  .openapi("ChatCompletionRequest");
