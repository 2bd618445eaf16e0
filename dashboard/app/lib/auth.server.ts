/**
 * Who is signed in, for loaders and actions: the API's `/auth/me`, read once per request.
 * Actions check the role here before calling the API, which checks it again.
 */
import { data, type AppLoadContext } from "@remix-run/cloudflare";
import type { Role, User, Workspace } from "../../../schema/api";
import { ApiFailure, apiJson, type CallOptions } from "./api.server";
import { atLeast } from "./roles";
import { accessToken, toLogin } from "./session.server";

/** The signed-in user and their workspace. */
export interface Me {
  user: User;
  workspace: Workspace;
  /** True for an admin of the deployment operator's workspace (the System health page). */
  system_health?: boolean;
}

/** Arguments every loader and action gets. */
export interface Args {
  request: Request;
  context: AppLoadContext;
}

/** Calls the API as the signed-in user; a refused token sends the browser to sign in. */
export async function api<T>({ request, context }: Args, method: string, path: string, opts: Omit<CallOptions, "token"> = {}): Promise<T> {
  const token = await accessToken(request, context);
  try {
    return await apiJson<T>(context, method, path, { ...opts, token });
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return toLogin(context, request);
    throw err;
  }
}

/** The signed-in user (memoised per request). */
export async function requireMe(args: Args): Promise<Me> {
  const memo = args.context.dashboard.memo;
  let me = memo.get("me") as Promise<Me> | undefined;
  if (!me) {
    me = api<Me>(args, "GET", "/auth/me");
    memo.set("me", me);
  }
  return me;
}

/** The signed-in user, or a 403 when their role is below `needed`. */
export async function requireRole(args: Args, needed: Role): Promise<Me> {
  const me = await requireMe(args);
  if (!atLeast(me.user.role, needed)) {
    throw data({ error: { message: `This needs the ${needed} role; you are a ${me.user.role}.` } }, { status: 403 });
  }
  return me;
}

/** Turns an API failure in a loader into the error page's response (404, 403, 429…). */
export function loaderFailure(err: unknown): never {
  if (err instanceof ApiFailure) {
    throw data({ message: err.message, code: err.code }, { status: err.status === 400 ? 400 : err.status });
  }
  throw err;
}
