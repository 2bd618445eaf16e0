/** Assistants: their prompt, tone, escalation threshold, model policy, origins and widget look. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp, LIMITS, NameField, OriginSchema } from "./common";

/** The tone an assistant answers in. */
export const ToneSchema = z.enum(["friendly", "professional", "casual"]);

/** How an assistant picks its model: a cheap one for simple questions, a strong one otherwise. */
export const ModelPolicySchema = z
  .strictObject({
    primary: z.string().max(100).optional(),
    fallback: z.array(z.string().max(100)).max(5).optional(),
    cheap: z.string().max(100).optional(),
    strong: z.string().max(100).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(8192).optional(),
  })
  .openapi("ModelPolicy");

/** An assistant as the API shows it. */
export const AssistantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    system_prompt: z.string(),
    tone: ToneSchema,
    escalation_threshold: z.number(),
    model_policy: ModelPolicySchema,
    allowed_origins: z.array(z.string()),
    branding: z.record(z.string(), z.unknown()),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Assistant");

/** Widget look that the dashboard edits and the widget reads. */
export const BrandingSchema = z.strictObject({
  primary_color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .optional(),
  title: z.string().max(80).optional(),
  greeting: z.string().max(500).optional(),
  avatar_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  position: z.enum(["bottom-right", "bottom-left"]).optional(),
});

/** `POST /assistants`; everything but the name has a default. */
export const AssistantCreateBody = z
  .strictObject({
    name: NameField,
    system_prompt: z.string().max(LIMITS.SYSTEM_PROMPT_CHARS).default(""),
    tone: ToneSchema.default("friendly"),
    escalation_threshold: z.number().min(0).max(1).default(0.35),
    model_policy: ModelPolicySchema.default({}),
    allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).default([]),
    branding: BrandingSchema.default({}),
  })
  .openapi("AssistantCreate");

/** `PATCH /assistants/:id`: any of the fields, at least one. */
export const AssistantUpdateBody = z
  .strictObject({
    name: NameField.optional(),
    system_prompt: z.string().max(LIMITS.SYSTEM_PROMPT_CHARS).optional(),
    tone: ToneSchema.optional(),
    escalation_threshold: z.number().min(0).max(1).optional(),
    model_policy: ModelPolicySchema.optional(),
    allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).optional(),
    branding: BrandingSchema.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "at least one field must be given")
  .openapi("AssistantUpdate");

/**
 * `POST /assistants/:id/identity-secret`: the assistant's new identity secret, shown this once.
 * The business's backend signs its users' ids (HMAC-SHA256) or tokens (JWT HS256) with it.
 */
export const IdentitySecretSchema = z
  .object({
    assistant_id: z.string(),
    secret: z.string(),
    /** True when it replaced an earlier secret, which stopped verifying at once. */
    rotated: z.boolean(),
    created_at: isoTimestamp,
  })
  .openapi("IdentitySecret");

/** An assistant as the API shows it. */
export type Assistant = z.infer<typeof AssistantSchema>;
/** An assistant's model policy. */
export type ModelPolicy = z.infer<typeof ModelPolicySchema>;
/** An assistant's tone. */
export type Tone = z.infer<typeof ToneSchema>;
/** An assistant's widget look. */
export type Branding = z.infer<typeof BrandingSchema>;
