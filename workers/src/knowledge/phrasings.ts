/**
 * Learned phrasings: the wording of a visitor's question that a document answers, kept with the
 * document and indexed for retrieval, so the next visitor who asks it that way finds the
 * document. Added by staff (API, dashboard) or learned when a person resolves a conversation
 * the AI could not answer and names the document that answers it. Erased with the visitor's data.
 */
import { PHRASING_MAX_CHARS, type Phrasing } from "../../../schema/api";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logger";
import { decodeCursor, encodeCursor } from "../lib/pagination";
import { createDb } from "../storage/db";
import { getDocument } from "./documents";
import { cachedEmbedderFor } from "./embeddings/cached-embedder-for";
import { knowledgeIndex, withWorkspaceVectors } from "./index-chunks";
import { phrasingEmbeddingText } from "./phrasing-vectors";
import type { PhrasingRecord } from "./knowledge-index/index-types";
import { MAX_PHRASINGS_PER_INDEX } from "./knowledge-index/phrasing-store";

/** Longest phrasing kept, in characters: a question, not an article (the API's limit too). */
export const MAX_PHRASING_CHARS = PHRASING_MAX_CHARS;

// C0/C1 controls, bidi overrides and zero-width marks, as visitor messages drop them.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** A conversation of the workspace and its visitor, as the caller read them. */
export interface AskedIn {
  conversationId: string;
  visitorId: string;
}

/** What a resolution teaches from: the conversation, and the question the AI could not answer. */
export interface ResolvedConversation {
  id: string;
  workspace_id: string;
  assistant_id: string;
  visitor_id: string;
  /** The visitor's question the AI could not answer, or null when there is none. */
  unansweredQuestion: string | null;
}

/** What adding a phrasing takes besides its document. */
export interface NewPhrasing {
  text: string;
  /**
   * The conversation whose visitor asked it this way, already checked to be one of the
   * workspace's: the phrasing is then that visitor's, exported and erased with their data.
   */
  askedIn: AskedIn | null;
  /** The user or key that added it (or the agent who resolved the conversation). */
  createdBy: string;
}

/** Public view of a stored phrasing. */
export function toPhrasing(r: PhrasingRecord): Phrasing {
  return { id: r.id, document_id: r.document_id, text: r.text, conversation_id: r.conversation_id, created_at: r.created_at };
}

/**
 * A phrasing's text as stored: one line (NFC, controls dropped, whitespace runs made one space),
 * at most `MAX_PHRASING_CHARS` (a longer visitor message is cut at a word). Empty when nothing is left.
 */
export function phrasingText(raw: string): string {
  const line = raw.normalize("NFC").replace(CONTROL_CHARS, " ").replace(/\s+/g, " ").trim();
  if (line.length <= MAX_PHRASING_CHARS) return line;
  const cut = line.slice(0, MAX_PHRASING_CHARS);
  const lastSpace = cut.lastIndexOf(" ");
  return (lastSpace > MAX_PHRASING_CHARS / 2 ? cut.slice(0, lastSpace) : cut).trim();
}

/**
 * Adds a phrasing to a document of the workspace (404 for another workspace's), embedded with
 * the assistant's embedder; when the embedder fails it is kept for keyword search alone. The
 * same text twice for one document is stored once (`created: false` the second time).
 */
export async function addPhrasing(env: Env, workspaceId: string, documentId: string, input: NewPhrasing): Promise<StoredPhrasing> {
  const doc = await getDocument(createDb(env.DB), workspaceId, documentId);
  const text = phrasingText(input.text);
  if (!text) throw new ApiError("invalid_request", "`text` has no words", { field: "text" });
  return storePhrasing(env, { workspaceId, assistantId: doc.assistant_id }, doc, {
    text,
    visitorId: input.askedIn?.visitorId ?? null,
    conversationId: input.askedIn?.conversationId ?? null,
    createdBy: input.createdBy,
  });
}

/**
 * Learns from a person resolving a conversation with the document that answers it: the
 * visitor's question the AI could not answer (read by the caller from the conversation) becomes
 * a phrasing of the document, the visitor's (erased with their data). Null when the
 * conversation holds no such question. The document must be one of the conversation's
 * assistant (404 for another workspace's, 400 for another assistant's).
 */
export async function learnFromResolution(env: Env, conv: ResolvedConversation, documentId: string, createdBy: string): Promise<StoredPhrasing | null> {
  const doc = await getDocument(createDb(env.DB), conv.workspace_id, documentId);
  if (doc.assistant_id !== conv.assistant_id) {
    throw new ApiError("invalid_request", "the document belongs to another assistant than the conversation's", { field: "document_id" });
  }
  const text = conv.unansweredQuestion ? phrasingText(conv.unansweredQuestion) : "";
  if (!text) return null;
  return storePhrasing(env, { workspaceId: conv.workspace_id, assistantId: conv.assistant_id }, doc, {
    text,
    visitorId: conv.visitor_id,
    conversationId: conv.id,
    createdBy,
  });
}

/** A phrasing as stored, and whether this call stored it (false: the same text was already there). */
export type StoredPhrasing = { phrasing: PhrasingRecord; created: boolean };

/** Embeds (with its document's head, see phrasing-vectors.ts) and stores a phrasing in the assistant's index; 409 when the index is full. */
async function storePhrasing(
  env: Env,
  scope: { workspaceId: string; assistantId: string },
  document: { id: string; title: string },
  p: { text: string; visitorId: string | null; conversationId: string | null; createdBy: string },
): Promise<StoredPhrasing> {
  const index = await knowledgeIndex(env, scope);
  const vector = await embed(env, scope.workspaceId, scope.assistantId, phrasingEmbeddingText(p.text, document.title, await index.documentHead(scope, document.id)));
  const added = await index.addPhrasing(scope, { id: newId("phrasing"), documentId: document.id, ...p, vector });
  if (!added.phrasing) {
    throw new ApiError("conflict", `a knowledge base holds at most ${MAX_PHRASINGS_PER_INDEX} learned phrasings; remove some first`, {
      limit: MAX_PHRASINGS_PER_INDEX,
    });
  }
  return { phrasing: added.phrasing, created: added.created };
}

/** One page of a document's phrasings, newest first (404 for another workspace's document). */
export async function listPhrasings(env: Env, workspaceId: string, documentId: string, limit: number, cursor?: string) {
  const doc = await getDocument(createDb(env.DB), workspaceId, documentId);
  const after = decodeCursor(cursor);
  const page = await (await knowledgeIndex(env, { workspaceId, assistantId: doc.assistant_id })).listPhrasings(
    { workspaceId, assistantId: doc.assistant_id },
    documentId,
    limit,
    after ? { created_at: after.t, id: after.id } : undefined,
  );
  return { data: page.data, next_cursor: page.after ? encodeCursor({ t: page.after.created_at, id: page.after.id }) : null };
}

/** Removes one phrasing of a document; 404 when the document or the phrasing is not there. */
export async function deletePhrasing(env: Env, workspaceId: string, documentId: string, phrasingId: string): Promise<PhrasingRecord> {
  const doc = await getDocument(createDb(env.DB), workspaceId, documentId);
  const removed = await (await knowledgeIndex(env, { workspaceId, assistantId: doc.assistant_id })).deletePhrasing({ workspaceId, assistantId: doc.assistant_id }, documentId, phrasingId);
  if (!removed) throw notFound("phrasing");
  return removed;
}

/** The assistants of the workspace whose indexes may hold a visitor's phrasings. */
async function assistantsOf(env: Env, workspaceId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("select id from assistants where workspace_id = ? and deleted_at is null").bind(workspaceId).all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Every phrasing in a visitor's words, across the workspace's assistants (data export). */
export async function visitorPhrasings(env: Env, workspaceId: string, visitorId: string): Promise<PhrasingRecord[]> {
  const out: PhrasingRecord[] = [];
  for (const assistantId of await assistantsOf(env, workspaceId)) {
    out.push(...(await (await knowledgeIndex(env, { workspaceId, assistantId })).visitorPhrasings({ workspaceId, assistantId }, visitorId)));
  }
  return out;
}

/** Erases every phrasing in a visitor's words from the workspace's assistants; returns how many. */
export async function eraseVisitorPhrasings(env: Env, workspaceId: string, visitorId: string): Promise<number> {
  let removed = 0;
  for (const assistantId of await assistantsOf(env, workspaceId)) {
    removed += await (await knowledgeIndex(env, { workspaceId, assistantId })).deleteVisitorPhrasings({ workspaceId, assistantId }, visitorId);
  }
  return removed;
}

async function embed(env: Env, workspaceId: string, assistantId: string, text: string): Promise<Float32Array | null> {
  try {
    const [vector] = await cachedEmbedderFor(await withWorkspaceVectors(env, workspaceId), assistantId).embed([text]);
    return vector && vector.some((v) => v !== 0) ? vector : null;
  } catch (err) {
    createLogger({ component: "knowledge.phrasings" }).warn("phrasing embedding failed; keyword search only", { error: err });
    return null;
  }
}
