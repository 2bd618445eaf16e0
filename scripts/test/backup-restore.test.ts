import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { apiClient, startLocalWorker, waitForDocuments } from "../../bench/_lib.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROUND_TRIP_TIMEOUT_MS = 900_000; // two Worker starts and six Wrangler runs on a busy 2-core machine

function runScript(script: string, args: string[]): Promise<{ code: number | null; output: string; stdout: string }> {
  const child = spawn(process.execPath, [join(ROOT, "scripts", script), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stdout = "";
  child.stdout.on("data", (d) => ((output += d), (stdout += d)));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output, stdout })));
}

const dir = mkdtempSync(join(tmpdir(), "edgedesk-backup-test-"));
const running: { stop(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const worker of running.splice(0)) await worker.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("backup and restore", () => {
  it(
    "backs up a local platform and restores its workspace, assistant, documents, files and index into a fresh one",
    async () => {
      // A platform with a workspace in it.
      for (const name of ["first", "second"]) mkdirSync(join(dir, name));
      const first = await startLocalWorker({ tmpDir: join(dir, "first"), snapshot: false });
      running.push(first);
      let api = apiClient(first.base);
      const email = `backup-${randomBytes(4).toString("hex")}@edgedesk.local`;
      const password = randomBytes(18).toString("base64url");
      const signup = await api.expect(201, "POST", "/api/v1/workspaces", { body: { workspace_name: "Restored Cycles", email, password } });
      let token: string = signup.access_token;
      const assistant = await api.expect(201, "POST", "/api/v1/assistants", { token, body: { name: "Returns desk", tone: "professional" } });
      const manual = await api.expect(202, "POST", `/api/v1/assistants/${assistant.id}/documents`, {
        token,
        body: { title: "Return policy", content: "Bikes may be returned within 45 days of delivery with the original receipt." },
      });
      const form = new FormData();
      form.append("file", new File(["Warranty: frames are covered for seven years against manufacturing defects.\n"], "warranty.txt", { type: "text/plain" }));
      const uploaded = await api.expect(202, "POST", `/api/v1/assistants/${assistant.id}/documents`, { token, form });
      const waited = await waitForDocuments(api, token, assistant.id, [manual.id, uploaded.id], { timeoutMs: 240_000 });
      expect(waited).toMatchObject({ ready: 2, failed: [] });
      const conversation = await api.expect(201, "POST", "/api/v1/conversations", { token, body: { assistant_id: assistant.id, visitor_id: "visitor-1", channel: "api" } });
      // A PDF as the attachment check sniffs it: the header, then bytes of our own.
      const attachmentBytes = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(2048)]);
      const attachmentForm = new FormData();
      attachmentForm.append("file", new File([attachmentBytes], "receipt.pdf", { type: "application/pdf" }));
      const attachment = await api.expect(201, "POST", `/api/v1/conversations/${conversation.conversation_id}/attachments`, { token, form: attachmentForm });
      const documentsBefore = await api.expect(200, "GET", `/api/v1/assistants/${assistant.id}/documents`, { token });
      await first.stop();

      // Backed up, then restored into a fresh state folder.
      const backup = await runScript("backup.mjs", ["--persist-to", join(dir, "first", "state"), "--out", join(dir, "backups")]);
      expect(backup.output).toContain("done:");
      expect(backup.code).toBe(0);
      const folder = backup.stdout.trim().split("\n").at(-1)!;
      const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
      expect(manifest.d1.tables).toEqual(expect.arrayContaining(["workspaces", "assistants", "kb_documents", "kb_chunks"]));
      expect(manifest.d1.tables.some((t: string) => t.startsWith("kb_chunks_fts"))).toBe(false);
      expect(readFileSync(join(folder, "schema.sql"), "utf8")).toMatch(/CREATE VIRTUAL TABLE .*kb_chunks_fts/);
      expect(manifest.r2.objects.map((o: { key: string }) => o.key)).toEqual(expect.arrayContaining([expect.stringContaining(uploaded.id)]));
      expect(manifest.r2.objects.every((o: { size: number; etag: string }) => o.size > 0 && o.etag.length > 0)).toBe(true);
      const restore = await runScript("restore.mjs", [folder, "--persist-to", join(dir, "second", "state")]);
      expect(restore.output).toContain("done:");
      expect(restore.code).toBe(0);
      const again = await runScript("restore.mjs", [folder, "--persist-to", join(dir, "second", "state")]);
      expect(again.code).toBe(2);
      expect(again.output).toContain("restore into a fresh folder");

      // A platform started on the restored folder (with secrets of its own) has the same workspace.
      const second = await startLocalWorker({ tmpDir: join(dir, "second"), snapshot: false });
      running.push(second);
      api = apiClient(second.base);
      const session = await api.expect(200, "POST", "/api/v1/auth/login", { body: { email, password } });
      token = session.access_token;
      expect(await api.expect(200, "GET", "/api/v1/workspace", { token })).toMatchObject({ id: signup.workspace.id, name: "Restored Cycles" });
      expect(await api.expect(200, "GET", `/api/v1/assistants/${assistant.id}`, { token })).toMatchObject({ id: assistant.id, name: "Returns desk", tone: "professional" });
      expect(await api.expect(200, "GET", `/api/v1/assistants/${assistant.id}/documents`, { token })).toEqual(documentsBefore);
      const file = await fetch(`${second.base}/api/v1/conversations/${conversation.conversation_id}/attachments/${attachment.id}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(attachmentBytes)).toBe(true);
      const search = await api.expect(200, "GET", `/api/v1/assistants/${assistant.id}/search?q=${encodeURIComponent("frames warranty")}&k=3`, { token });
      expect(search.data[0]).toMatchObject({ document_id: uploaded.id });

      // And passes the deploy pipeline's smoke checks.
      const smoke = await runScript("smoke.mjs", [second.base]);
      expect(smoke.output).toContain("all checks passed");
      expect(smoke.code).toBe(0);
    },
    ROUND_TRIP_TIMEOUT_MS,
  );
});
