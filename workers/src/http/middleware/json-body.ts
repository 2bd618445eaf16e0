import { createMiddleware } from "hono/factory";
import { readLimited } from "../../lib/read-limited";
import { ApiError } from "../../lib/errors";
import type { AppEnv } from "../app-env";

/** Largest JSON body accepted: generous for settings, far above a 4,000-character message. */
export const MAX_JSON_BODY_BYTES = 1_048_576; // 1 MiB
/** Largest multipart body: the 25 MB file limit plus room for the form's other parts. */
export const MAX_MULTIPART_BODY_BYTES = 25 * 1024 * 1024 + 64 * 1024;

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

function isJsonType(type: string): boolean {
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Reads at most `limit` bytes of a body; 413 as soon as it holds more. */
function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  return readLimited(body, limit, () => new ApiError("payload_too_large", `request body exceeds ${limit} bytes`, { limit_bytes: limit }));
}

/**
 * Guards every API body before a route sees it: size limits (413), media type (415), strict
 * UTF-8 and well-formed JSON (400). The checked text is cached on the request, so validators
 * read it without parsing twice. Multipart bodies are only size-checked here.
 */
export const jsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (!METHODS_WITH_BODY.has(c.req.method)) return next();
  const type = mediaType(c.req.header("content-type"));
  const declared = Number(c.req.header("content-length") ?? "NaN");
  const body = c.req.raw.body;

  if (type === "multipart/form-data") {
    if (declared > MAX_MULTIPART_BODY_BYTES) {
      throw new ApiError("payload_too_large", `request body exceeds ${MAX_MULTIPART_BODY_BYTES} bytes`, {
        limit_bytes: MAX_MULTIPART_BODY_BYTES,
      });
    }
    return next();
  }

  if (declared > MAX_JSON_BODY_BYTES) {
    throw new ApiError("payload_too_large", `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`, {
      limit_bytes: MAX_JSON_BODY_BYTES,
    });
  }
  const bytes = await readBody(body, MAX_JSON_BODY_BYTES);
  if (bytes.byteLength > 0 && !isJsonType(type)) {
    throw new ApiError("unsupported_media_type", "request body must be application/json", {
      content_type: type || null,
    });
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new ApiError("invalid_request", "request body is not valid UTF-8");
  }
  if (text.trim() === "") text = "{}"; // an empty body is an empty object; schemas say what is missing
  try {
    JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "request body is not valid JSON");
  }
  // Hono reads bodies through this cache; its type names values, the runtime holds promises.
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.text = Promise.resolve(text);
  cache.arrayBuffer = Promise.resolve(bytes.buffer);
  return next();
});
