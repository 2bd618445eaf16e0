import { MAX_MESSAGE_CHARS } from "../../../schema/protocol-limits";
import { ApiError } from "../lib/errors";

// C0/C1 controls except tab and newline, plus bidi overrides and zero-width marks that can
// disguise text in a transcript.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Normalises visitor text: NFC, no control characters, CRLF → LF, at most two blank lines,
 * trimmed. Throws 400 when nothing is left or it is over the limit. The result is stored and
 * shown as plain text: nothing is ever rendered as HTML.
 */
export function sanitizeMessage(raw: string): string {
  const text = raw
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .replace(CONTROL_CHARS, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  if (text.length === 0) throw new ApiError("invalid_request", "message is empty", { field: "content" });
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new ApiError("invalid_request", `message is longer than ${MAX_MESSAGE_CHARS} characters`, {
      field: "content",
      max_chars: MAX_MESSAGE_CHARS,
    });
  }
  return text;
}
