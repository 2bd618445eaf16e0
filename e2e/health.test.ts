import { expect, inject, it } from "vitest";

it("serves the API from the local platform the browser tests drive", async () => {
  const res = await fetch(`${inject("apiUrl")}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true });
});
