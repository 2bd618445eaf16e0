/**
 * Runs async tasks one after another, in the order they were handed over: a conversation
 * object admits socket messages, answers questions and re-checks staff roles this way, so quick
 * successive events act in the order they arrived even though each one awaits I/O. Memory
 * only: it orders work, it stores nothing.
 */
export class InOrder {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task handed over before it has settled; a failed task does not stop the next. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(task);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
