/**
 * Erasing one conversation from every store that holds it: its Durable Object (the source of
 * truth), its files in R2, and its rows in D1 (the dashboard's index). The D1 rows go last, so
 * an erasure cut short is found again by the next attempt.
 */
import { conversationStub } from "../conversation/service";
import { deletePrefix } from "../knowledge/documents";
import { workspacePlace } from "../storage/data-region";

/** What erasing a conversation removed. */
export interface ConversationErasure {
  messages: number;
  files: number;
}

/** Everything a conversation stores in R2 (attachments today) lives under this prefix. */
export function conversationFilesPrefix(workspaceId: string, conversationId: string): string {
  return `ws/${workspaceId}/conv/${conversationId}/`;
}

/** Erases one conversation of the workspace everywhere; repeating it is harmless. */
export async function eraseConversation(env: Env, workspaceId: string, conversationId: string): Promise<ConversationErasure> {
  const stub = await conversationStub(env, workspaceId, conversationId);
  const view = await stub.describe();
  // Another workspace's conversation id is never touched, whatever the caller passed.
  const messages = view === null || view.workspace_id === workspaceId ? await stub.erase() : 0;
  const files = await deletePrefix((await workspacePlace(env, workspaceId)).files, conversationFilesPrefix(workspaceId, conversationId));
  await env.DB.batch([
    env.DB.prepare("delete from messages where conversation_id = ? and workspace_id = ?").bind(conversationId, workspaceId),
    env.DB.prepare("delete from escalations where conversation_id = ? and workspace_id = ?").bind(conversationId, workspaceId),
    env.DB.prepare("delete from action_calls where conversation_id = ? and workspace_id = ?").bind(conversationId, workspaceId),
    env.DB.prepare("delete from crm_contacts where conversation_id = ? and workspace_id = ?").bind(conversationId, workspaceId),
    env.DB.prepare("delete from conversations where id = ? and workspace_id = ?").bind(conversationId, workspaceId),
  ]);
  return { messages, files };
}
