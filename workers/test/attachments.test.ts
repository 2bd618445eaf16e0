import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attachmentFilename, detectAttachmentType, MAX_ATTACHMENT_BYTES } from "../src/conversation/attachments";
import { startedConversation } from "./conversation-helpers";
import { call, createSecretKey, signUp } from "./helpers";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]);
const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00");
const WEBP = new TextEncoder().encode("RIFF\x24\x00\x00\x00WEBPVP8 ");
const PDF = new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

/** Sends a file as multipart, as the widget's upload does. */
async function upload(
  conversationId: string,
  token: string,
  name: string,
  bytes: Uint8Array,
  extra: { type?: string; origin?: string } = {},
) {
  const form = new FormData();
  form.append("file", new File([bytes], name, { type: extra.type ?? "application/octet-stream" }));
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (extra.origin) headers.origin = extra.origin;
  const res = await exports.default.fetch(
    new Request(`http://api.test/api/v1/conversations/${conversationId}/attachments`, { method: "POST", headers, body: form }),
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function download(path: string, token: string, origin?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (origin) headers.origin = origin;
  return exports.default.fetch(new Request(`http://api.test${path}`, { headers }));
}

describe("conversation attachments", () => {
  it("stores an image under the conversation and streams it back to the same conversation's token", async () => {
    const c = await startedConversation();
    const res = await upload(c.conversationId, c.token, "photo of the bike.png", PNG, { type: "image/png" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^att_[0-9A-Za-z]{20}$/),
      conversation_id: c.conversationId,
      filename: "photo of the bike.png",
      content_type: "image/png",
      size: PNG.byteLength,
      url: `http://api.test/api/v1/conversations/${c.conversationId}/attachments/${res.body.id}`,
    });

    const listed = await env.FILES.list({ prefix: `ws/${c.session.workspace.id}/conv/${c.conversationId}/att/${res.body.id}/` });
    expect(listed.objects.map((o) => o.key)).toEqual([
      `ws/${c.session.workspace.id}/conv/${c.conversationId}/att/${res.body.id}/photo_of_the_bike.png`,
    ]);

    const got = await download(new URL(res.body.url).pathname, c.token);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("content-disposition")).toMatch(/^inline; filename="photo of the bike.png"/);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG);
  });

  it("accepts JPEG, GIF, WebP and PDF by their bytes, whatever the name or declared type says", async () => {
    const c = await startedConversation();
    const cases: [string, Uint8Array, string, string][] = [
      ["scan.jpeg", JPEG, "image/jpeg", "scan.jpeg"],
      ["anim.gif", GIF, "image/gif", "anim.gif"],
      ["pic", WEBP, "image/webp", "pic.webp"],
      ["invoice.txt", PDF, "application/pdf", "invoice.pdf"],
    ];
    for (const [name, bytes, type, filename] of cases) {
      const res = await upload(c.conversationId, c.token, name, bytes, { type: "text/plain" });
      expect(res.status, name).toBe(201);
      expect(res.body, name).toMatchObject({ content_type: type, filename });
    }
    const pdf = await upload(c.conversationId, c.token, "invoice.pdf", PDF);
    const got = await download(new URL(pdf.body.url).pathname, c.token);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment; /);
  });

  it("refuses files that are not images or PDFs, judged by content (415)", async () => {
    const c = await startedConversation();
    const script = new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>");
    for (const [name, bytes] of [
      ["logo.png", script],
      ["notes.pdf", new TextEncoder().encode("just some text")],
      ["tool.exe", new Uint8Array([0x4d, 0x5a, 0x90, 0x00])],
    ] as const) {
      const res = await upload(c.conversationId, c.token, name, bytes, { type: "image/png" });
      expect(res.status, name).toBe(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
    }
  });

  it("refuses a file over the size limit (413), an empty or missing file (400) and a JSON body (415)", async () => {
    const c = await startedConversation();
    const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
    big.set(PNG);
    const res = await upload(c.conversationId, c.token, "huge.png", big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", details: { limit_bytes: MAX_ATTACHMENT_BYTES } });

    const empty = await upload(c.conversationId, c.token, "empty.png", new Uint8Array());
    expect(empty.status).toBe(400);

    const form = new FormData();
    form.append("note", "no file here");
    const noFile = await exports.default.fetch(
      new Request(`http://api.test/api/v1/conversations/${c.conversationId}/attachments`, {
        method: "POST",
        headers: { Authorization: `Bearer ${c.token}` },
        body: form,
      }),
    );
    expect(noFile.status).toBe(400);
    // JSON is not a way to send a file.
    const json = await call("POST", `/api/v1/conversations/${c.conversationId}/attachments`, { token: c.token, body: { file: "x" } });
    expect(json.status).toBe(415);
  });

  it("needs a credential for the conversation: none is 401, a publishable key 403, another conversation's token 404", async () => {
    const c = await startedConversation();
    const other = await startedConversation();
    const stored = await upload(c.conversationId, c.token, "a.png", PNG);
    const path = new URL(stored.body.url).pathname;

    const anonymous = await exports.default.fetch(new Request(`http://api.test${path}`));
    expect(anonymous.status).toBe(401);
    const withKey = await download(path, c.publishableKey, "https://shop.example.com");
    expect(withKey.status).toBe(403);
    const wrongToken = await download(path, other.token);
    expect(wrongToken.status).toBe(404);
    // The other conversation's token cannot upload here either, nor read it under its own id.
    expect((await upload(c.conversationId, other.token, "b.png", PNG)).status).toBe(404);
    const underOther = await download(`/api/v1/conversations/${other.conversationId}/attachments/${stored.body.id}`, other.token);
    expect(underOther.status).toBe(404);
    const unknown = await download(`/api/v1/conversations/${c.conversationId}/attachments/att_00000000000000000000`, c.token);
    expect(unknown.status).toBe(404);
  });

  it("lets staff of the workspace read an attachment, and hides it from other workspaces", async () => {
    const c = await startedConversation();
    const stored = await upload(c.conversationId, c.token, "receipt.pdf", PDF);
    const path = new URL(stored.body.url).pathname;

    const viewer = await createSecretKey(c.session.access_token, "viewer");
    const staff = await download(path, viewer.key);
    expect(staff.status).toBe(200);
    expect(new Uint8Array(await staff.arrayBuffer())).toEqual(PDF);

    const stranger = await signUp("Elsewhere");
    expect((await download(path, stranger.access_token)).status).toBe(404);
  });

  it("answers CORS for the widget's origin on upload and download", async () => {
    const c = await startedConversation();
    const origin = "https://shop.example.com";
    const preflight = await exports.default.fetch(
      new Request(`http://api.test/api/v1/conversations/${c.conversationId}/attachments/att_12345678901234567890`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);

    const stored = await upload(c.conversationId, c.token, "a.gif", GIF, { origin });
    expect(stored.status).toBe(201);
    expect(stored.headers.get("access-control-allow-origin")).toBe(origin);
    const got = await download(new URL(stored.body.url).pathname, c.token, origin);
    expect(got.headers.get("access-control-allow-origin")).toBe(origin);
    await got.arrayBuffer();
  });

  it("is referred to from a message as a Markdown link the conversation keeps", async () => {
    const c = await startedConversation();
    const stored = await upload(c.conversationId, c.token, "damage.jpg", JPEG);
    const content = `My frame arrived scratched.\n\n[damage.jpg](${stored.body.url})`;
    const sent = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content } });
    expect(sent.status).toBe(200);
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data[0].content).toBe(content);
  });
});

describe("attachments in the API description", () => {
  it("are listed in the OpenAPI document", async () => {
    const doc = await call("GET", "/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/conversations/{id}/attachments", "/api/v1/conversations/{id}/attachments/{attId}"]),
    );
    expect(doc.body.components.schemas.Attachment.required).toEqual(expect.arrayContaining(["id", "filename", "content_type", "size", "url"]));
  });
});

describe("attachment checks", () => {
  it("recognises each accepted kind by its magic bytes and nothing else", () => {
    expect(detectAttachmentType(PNG)).toBe("image/png");
    expect(detectAttachmentType(JPEG)).toBe("image/jpeg");
    expect(detectAttachmentType(GIF)).toBe("image/gif");
    expect(detectAttachmentType(WEBP)).toBe("image/webp");
    expect(detectAttachmentType(PDF)).toBe("application/pdf");
    expect(detectAttachmentType(new TextEncoder().encode("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeNull();
    expect(detectAttachmentType(new Uint8Array([0x89, 0x50]))).toBeNull();
  });

  it("keeps a readable file name with the right extension and no paths or hidden characters", () => {
    expect(attachmentFilename("../../etc/passwd", "image/png")).toBe("passwd.png");
    expect(attachmentFilename("C:\\Users\\me\\Foto März.JPG", "image/jpeg")).toBe("Foto März.JPG");
    expect(attachmentFilename("evil\u202egpj.pdf", "application/pdf")).toBe("evilgpj.pdf");
    expect(attachmentFilename("", "image/gif")).toBe("attachment.gif");
    expect(attachmentFilename(`${"x".repeat(300)}.png`, "image/png")).toHaveLength(120);
  });
});
