/** Work to finish after the response: `ctx.waitUntil`, or a test's stand-in for it. */
export type WaitUntil = (work: Promise<unknown>) => void;
