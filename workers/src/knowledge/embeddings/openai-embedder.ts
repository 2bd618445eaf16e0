import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { ModelError } from "../../llm/model-error";
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS } from "../../llm/provider-defaults";
import { fromSdkError } from "../../llm/sdk-errors";
import { embedInBatches } from "./batches";
import { EMBED_BATCH_SIZE, type Embedder } from "./embedder";
import { tracedFetch } from "../../lib/trace-context";

/**
 * OpenAI embeddings through the official SDK. The base URL is configurable, so any server that
 * speaks `/v1/embeddings` (Ollama, vLLM, LiteLLM, a local fake) is reached the same way.
 */

/** The default model: 1536 dimensions, Vectorize's maximum, at a fraction of `-large`'s price. */
export const OPENAI_EMBEDDING_MODEL = "text-embedding-3-small";
/** Output length of `text-embedding-3-small`. */
export const OPENAI_EMBEDDING_DIMENSIONS = 1536;
/**
 * Retries the SDK makes on 429/5xx, honouring Retry-After. One: ingestion runs in a queue that
 * retries the whole message later anyway, and a search should not stall on a busy provider.
 */
const SDK_MAX_RETRIES = 1;

const SDK_ERRORS = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };

/** How to reach the OpenAI (or OpenAI-compatible) embeddings endpoint. */
export interface OpenAIEmbedderOptions {
  apiKey: string;
  /** Server base URL including `/v1`; the official API when absent. */
  baseURL?: string;
  model?: string;
  /**
   * Vector length. When set it is also sent, so `text-embedding-3-*` shortens its vectors to it
   * (`-large` at 1536 fits Vectorize); when absent, `text-embedding-3-small`'s 1536 is expected.
   */
  dimensions?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** Wire encoding; `base64` for the official API and `float` for compatible servers by default. */
  encoding?: "base64" | "float";
}

/** OpenAI `/v1/embeddings` as an `Embedder`. Failures are thrown as `ModelError`. */
export class OpenAIEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private readonly model: string;
  private readonly client: OpenAI;
  private readonly encoding: "base64" | "float";
  private readonly requestDimensions: number | undefined;

  constructor(options: OpenAIEmbedderOptions) {
    this.model = options.model ?? OPENAI_EMBEDDING_MODEL;
    this.dimensions = options.dimensions ?? OPENAI_EMBEDDING_DIMENSIONS;
    this.requestDimensions = options.dimensions;
    this.name = `openai:${this.model}`;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL || undefined,
      // Every provider call carries the `traceparent` of the work it serves (a visitor message).
      fetch: tracedFetch,
      timeout: options.timeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? SDK_MAX_RETRIES,
    });
    // base64 float32 is a quarter of the JSON; compatible servers do not all support it.
    this.encoding = options.encoding ?? (options.baseURL ? "float" : "base64");
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const options = { name: this.name, dimensions: this.dimensions, batchSize: EMBED_BATCH_SIZE };
    return embedInBatches(texts, options, async (batch) => {
      let response: Awaited<ReturnType<OpenAI["embeddings"]["create"]>>;
      try {
        response = await this.client.embeddings.create({
          model: this.model,
          input: batch,
          encoding_format: this.encoding,
          ...(this.requestDimensions === undefined ? {} : { dimensions: this.requestDimensions }),
        });
      } catch (err) {
        throw fromSdkError(err, this.name, SDK_ERRORS);
      }
      // `index` says which input each embedding is for; order by it rather than trust the list's.
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      return ordered.map((item) => decodeEmbedding(item.embedding as unknown, this.name));
    });
  }
}

/**
 * An embedding as the wire carried it: a number array, or base64 of little-endian float32
 * (what `encoding_format: "base64"` returns, and what some servers send regardless).
 */
export function decodeEmbedding(embedding: unknown, model: string): ArrayLike<number> {
  if (typeof embedding === "string") {
    const binary = atob(embedding);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Float32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4));
  }
  if (Array.isArray(embedding) || embedding instanceof Float32Array) return embedding as ArrayLike<number>;
  throw new ModelError("server_error", `${model} returned an embedding that is neither numbers nor base64`, { model });
}
