import { DurableObject } from "cloudflare:workers";

/** Sliding-window counters for one subject (an API key or a visitor). */
export class RateLimiterDO extends DurableObject<Env> {}
