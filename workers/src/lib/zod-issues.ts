import type { ZodError } from "zod";

/** One zod issue as API.md's `invalid_request` details list it. */
export interface IssueDetail {
  path: string[];
  code: string;
  message: string;
}

/**
 * The `issues` of an `invalid_request` error's details for a zod failure. `prefix` puts the part
 * of the request the failing value came from in front of each path (`["config", …]`).
 */
export function zodIssues(error: ZodError, prefix: readonly string[] = []): IssueDetail[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path.map(String)], code: issue.code, message: issue.message }));
}
