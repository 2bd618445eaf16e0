/**
 * The `RateLimiterDO` that holds one workspace's shared counters: the socket message limits of
 * its conversations and visitors (`socket-limits.ts`) and its model-token budget
 * (`model-budget.ts`). One object per workspace, so a socket message is checked against
 * all of them in a single call.
 */
export function workspaceLimiter(env: Pick<Env, "RATE_LIMITER">, workspaceId: string) {
  return env.RATE_LIMITER.getByName(`workspace:${workspaceId}`);
}
