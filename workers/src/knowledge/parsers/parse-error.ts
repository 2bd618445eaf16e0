/**
 * The one error parsers throw. `message` is written for the business user who uploaded the file:
 * it becomes the document's `error` as-is, so it says what is wrong and, where it can, what to do.
 */

/** Why a file could not be turned into text. */
export type ParseErrorCode =
  | "empty" // no bytes, or no readable text
  | "unsupported_type" // an executable, archive, image or other format we do not read
  | "type_mismatch" // the name promises a format the content is not
  | "corrupt" // the format is right but the file is damaged
  | "encrypted" // password-protected
  | "too_large" // over a size, page, character or decompression limit
  | "timeout"; // took longer than the parser's time limit

/** A file that cannot be parsed, with a reason a business user can read. */
export class ParseError extends Error {
  override readonly name = "ParseError";

  constructor(
    readonly code: ParseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A file size for messages: "12.5 MB", or "300 KB" under a megabyte. */
export function formatSize(bytes: number): string {
  const MEGABYTE = 1024 * 1024;
  if (bytes >= MEGABYTE) return `${(bytes / MEGABYTE).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;
  return `${Math.ceil(bytes / 1024).toLocaleString("en-US")} KB`;
}
