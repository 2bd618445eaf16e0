/**
 * Turns a model's token-sized deltas into fewer, larger `delta` frames: the first goes out at
 * once (the visitor sees the answer start without delay), and each later one waits at most
 * `DELTA_WINDOW_MS` for the ones after it to join it. Every frame costs a stored chunk, one
 * serialisation and a send per socket, so a model streaming a token every few ms costs a frame
 * per window instead of a frame per token. The frames' texts, joined, are exactly the deltas
 * pushed, in order, numbered from 0 without gaps (what resuming sockets and clients rely on).
 */

/**
 * Longest a delta is held for the next ones, in ms: about 30 frames a second at most, which
 * reads as smooth streaming, while a model's bursts of tokens share a frame.
 */
export const DELTA_WINDOW_MS = 30;

/** Coalesces one answer's deltas; `send` receives each frame's text and sequence number. */
export class DeltaCoalescer {
  private held = "";
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private nextSeq = 0;

  constructor(
    private readonly send: (delta: string, seq: number) => void,
    private readonly windowMs = DELTA_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a delta: sent now if the last frame is a window old, else held until it is. */
  push(delta: string): void {
    if (!delta) return;
    this.held += delta;
    const wait = this.lastSentAt + this.windowMs - this.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** Sends whatever is held now (the answer ended or stopped: before its `response`). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.held) return;
    const text = this.held;
    this.held = "";
    this.lastSentAt = this.now();
    this.send(text, this.nextSeq++);
  }

  /** Frames sent so far. */
  get frames(): number {
    return this.nextSeq;
  }
}
