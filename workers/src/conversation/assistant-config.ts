import { and, eq, isNull } from "drizzle-orm";
import type { ModelPolicy } from "../../../schema/api";
import { createDb, schema } from "../storage/db";
import type { AnsweringAssistant } from "./answer";

/** An assistant's answering settings, plus the confidence below which it hands off. */
export type AssistantConfig = AnsweringAssistant & { escalation_threshold: number };

/** The live assistant's settings, read fresh for each answer so edits apply at once; null when deleted. */
export async function loadAnsweringAssistant(d1: D1Database, workspaceId: string, assistantId: string): Promise<AssistantConfig | null> {
  const { assistants } = schema;
  const row = await createDb(d1)
    .select({
      id: assistants.id,
      workspace_id: assistants.workspace_id,
      system_prompt: assistants.system_prompt,
      tone: assistants.tone,
      model_policy: assistants.model_policy,
      escalation_threshold: assistants.escalation_threshold,
    })
    .from(assistants)
    .where(and(eq(assistants.id, assistantId), eq(assistants.workspace_id, workspaceId), isNull(assistants.deleted_at)))
    .get();
  return row ? { ...row, model_policy: row.model_policy as ModelPolicy } : null;
}
