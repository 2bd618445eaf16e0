import { Hono } from "hono";
import { demoOrdersResponse } from "../../actions/demo-orders";
import type { AppEnv } from "../app-env";

/**
 * The demo shop's order service over HTTP (`GET /demo/orders/:number`, bearer `DEMO_ORDERS_KEY`),
 * for trying it with curl; 404 unless the deployment switches it on. Not part of the public API.
 */
export const demoOrdersRoutes = new Hono<AppEnv>().get("/demo/orders/:number", (c) => demoOrdersResponse(c.env, c.req.raw));
