/**
 * Files a visitor (or an agent) attaches to a conversation: images and PDFs, checked by their
 * bytes, stored in R2 under the conversation (`ws/{workspace}/conv/{conversation}/att/{id}/{file}`).
 * A message refers to an attachment by its URL; the file itself never passes through the
 * conversation's Durable Object.
 */
import { ApiError } from "../lib/errors";
import { randomBase62 } from "../lib/ids";
import { nowIso } from "../lib/time";

/** Largest attachment accepted: a phone photo or a scanned invoice, not a video. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024; // 10 MiB
/** Attachments one conversation may hold: plenty for a support case, a wall against abuse. */
export const MAX_ATTACHMENTS_PER_CONVERSATION = 50;
/** Longest file name kept for display, in characters. */
const MAX_FILENAME_CHARS = 120;
const ATTACHMENT_ID_PREFIX = "att";
const ATTACHMENT_ID_RANDOM_CHARS = 20; // the same strength as every other id
const ATTACHMENT_ID = /^att_[0-9A-Za-z]{8,64}$/;

/** The kinds of file accepted, by what their first bytes say. */
export const ATTACHMENT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"] as const;
/** One accepted content type. */
export type AttachmentContentType = (typeof ATTACHMENT_TYPES)[number];

const EXTENSION: Record<AttachmentContentType, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "application/pdf": "pdf",
};

const PDF_HEADER_WINDOW_BYTES = 1024; // readers accept a little junk before `%PDF-`

/** An attachment as the API shows it (`url` is added by the route, which knows the host). */
export interface AttachmentView {
  id: string;
  conversation_id: string;
  filename: string;
  content_type: AttachmentContentType;
  size: number;
  created_at: string;
}

/** The conversation an attachment belongs to. */
export interface AttachmentOwner {
  workspaceId: string;
  conversationId: string;
}

function startsWith(bytes: Uint8Array, magic: readonly number[] | string, at = 0): boolean {
  const expected = typeof magic === "string" ? [...magic].map((ch) => ch.charCodeAt(0)) : magic;
  if (bytes.length < at + expected.length) return false;
  return expected.every((b, i) => bytes[at + i] === b);
}

/**
 * What a file really is, judged by its bytes, or null when it is none of the accepted kinds.
 * The name and the declared type are never trusted: a script renamed `photo.png` is refused.
 */
export function detectAttachmentType(bytes: Uint8Array): AttachmentContentType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, "GIF87a") || startsWith(bytes, "GIF89a")) return "image/gif";
  if (startsWith(bytes, "RIFF") && startsWith(bytes, "WEBP", 8)) return "image/webp";
  const head = bytes.subarray(0, PDF_HEADER_WINDOW_BYTES);
  for (let i = 0; i + 5 <= head.length; i++) {
    if (head[i] === 0x25 && startsWith(head, "%PDF-", i)) return "application/pdf";
  }
  return null;
}

/**
 * The name shown for an attachment: no folders, no control or bidi characters, bounded, and
 * ending with the extension of what the file really is.
 */
export function attachmentFilename(name: string, type: AttachmentContentType): string {
  const base = (name.split(/[\\/]/).pop() ?? "")
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const ext = EXTENSION[type];
  const stem = base.replace(/\.[A-Za-z0-9]{1,5}$/, "").slice(0, MAX_FILENAME_CHARS - ext.length - 1) || "attachment";
  const hasRightExtension = type === "image/jpeg" ? /\.jpe?g$/i.test(base) : base.toLowerCase().endsWith(`.${ext}`);
  return hasRightExtension && base.length <= MAX_FILENAME_CHARS ? base : `${stem}.${ext}`;
}

/** The last part of the R2 key: the display name reduced to safe ASCII. */
function keyFilename(filename: string): string {
  return filename.replace(/[^\w.-]+/g, "_").replace(/^[._]+/, "").slice(-100) || "file";
}

/** Where a conversation's attachments live in R2. */
export function attachmentsPrefix(owner: AttachmentOwner): string {
  return `ws/${owner.workspaceId}/conv/${owner.conversationId}/att/`;
}

/** True when `id` looks like an attachment id; a cheap guard before touching R2. */
export function isAttachmentId(id: string): boolean {
  return ATTACHMENT_ID.test(id);
}

async function countAttachments(bucket: R2Bucket, prefix: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, delimiter: "/" });
    count += page.delimitedPrefixes.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor && count < MAX_ATTACHMENTS_PER_CONVERSATION);
  return count;
}

/**
 * Checks and stores an uploaded file for a conversation. Throws 413 when it is too large,
 * 415 when its bytes are not an accepted kind, 409 when the conversation holds too many.
 */
export async function storeAttachment(
  bucket: R2Bucket,
  owner: AttachmentOwner,
  file: { name: string; bytes: Uint8Array },
): Promise<AttachmentView> {
  if (file.bytes.byteLength === 0) throw new ApiError("invalid_request", "the file is empty", { field: "file" });
  if (file.bytes.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new ApiError("payload_too_large", `attachments are limited to ${MAX_ATTACHMENT_BYTES} bytes`, {
      limit_bytes: MAX_ATTACHMENT_BYTES,
    });
  }
  const type = detectAttachmentType(file.bytes);
  if (!type) {
    throw new ApiError("unsupported_media_type", "attach an image (PNG, JPEG, GIF, WebP) or a PDF", {
      accepted: ATTACHMENT_TYPES,
    });
  }
  const prefix = attachmentsPrefix(owner);
  if ((await countAttachments(bucket, prefix)) >= MAX_ATTACHMENTS_PER_CONVERSATION) {
    throw new ApiError("conflict", `a conversation holds at most ${MAX_ATTACHMENTS_PER_CONVERSATION} attachments`, {
      limit: MAX_ATTACHMENTS_PER_CONVERSATION,
    });
  }
  const view: AttachmentView = {
    id: `${ATTACHMENT_ID_PREFIX}_${randomBase62(ATTACHMENT_ID_RANDOM_CHARS)}`,
    conversation_id: owner.conversationId,
    filename: attachmentFilename(file.name, type),
    content_type: type,
    size: file.bytes.byteLength,
    created_at: nowIso(),
  };
  await bucket.put(`${prefix}${view.id}/${keyFilename(view.filename)}`, file.bytes, {
    httpMetadata: { contentType: type },
    customMetadata: {
      workspace_id: owner.workspaceId,
      conversation_id: owner.conversationId,
      filename: view.filename,
      created_at: view.created_at,
    },
  });
  return view;
}

/** An attachment and its bytes, or null when this conversation has no such attachment. */
export async function readAttachment(
  bucket: R2Bucket,
  owner: AttachmentOwner,
  attachmentId: string,
): Promise<{ view: AttachmentView; object: R2ObjectBody } | null> {
  if (!isAttachmentId(attachmentId)) return null;
  const listed = await bucket.list({ prefix: `${attachmentsPrefix(owner)}${attachmentId}/`, limit: 1 });
  const key = listed.objects[0]?.key;
  if (!key) return null;
  const object = await bucket.get(key);
  if (!object) return null;
  const type = object.httpMetadata?.contentType as AttachmentContentType | undefined;
  if (!type || !ATTACHMENT_TYPES.includes(type)) return null;
  const meta = object.customMetadata ?? {};
  return {
    view: {
      id: attachmentId,
      conversation_id: owner.conversationId,
      filename: meta.filename ?? key.slice(key.lastIndexOf("/") + 1),
      content_type: type,
      size: object.size,
      created_at: meta.created_at ?? object.uploaded.toISOString(),
    },
    object,
  };
}
