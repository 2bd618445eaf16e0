import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { toBase64 } from "../src/channels/webhook-crypto";
import { channelConversations, configure, eventually, fakeBase, messagesOf, providerLog, shopWithChannel, type ShopWorkspace, waitForRequests, webhook } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

const INBOUND_SECRET = "inbound-secret-for-tests";
const SUPPORT = "help@acme.test";

let ws: ShopWorkspace;
let scn: string;

/** The email integration of `shop`, sending through the fake at `base`. */
function emailSettings(shop: ShopWorkspace, base: string, extra: Record<string, unknown> = {}) {
  return {
    config: { assistant_id: shop.assistant.id, from_address: SUPPORT, from_name: "Acme Support", api_base_url: `${base}/sendgrid`, ...extra },
    secrets: { sendgrid_api_key: CREDS.sendgridApiKey, inbound_secret: INBOUND_SECRET },
  };
}

async function configureEmail(extra: Record<string, unknown> = {}) {
  await configure(ws.token, "email", emailSettings(ws, fakeBase(scn), extra));
}

beforeEach(async () => {
  ({ ws, scn } = await shopWithChannel("email", emailSettings));
});

/** An Inbound Parse POST as SendGrid sends it: multipart fields and files. */
async function parseForm(opts: {
  from?: string;
  subject?: string;
  text: string;
  headers: string[];
  files?: File[];
}): Promise<{ bytes: Uint8Array; contentType: string }> {
  const form = new FormData();
  const from = opts.from ?? "Ann Lee <ann@customer.test>";
  form.set("headers", [`From: ${from}`, `To: ${SUPPORT}`, `Subject: ${opts.subject ?? "Shipping question"}`, ...opts.headers, "Content-Type: multipart/alternative; boundary=abc"].join("\r\n"));
  form.set("dkim", "{@customer.test : pass}");
  form.set("to", SUPPORT);
  form.set("from", from);
  form.set("subject", opts.subject ?? "Shipping question");
  form.set("text", opts.text);
  form.set("html", `<div>${opts.text.replace(/\n/g, "<br>")}</div>`);
  form.set("sender_ip", "203.0.113.9");
  form.set("envelope", JSON.stringify({ to: [SUPPORT], from: "ann@customer.test" }));
  form.set("charsets", JSON.stringify({ to: "UTF-8", subject: "UTF-8", from: "UTF-8", text: "UTF-8" }));
  form.set("SPF", "pass");
  const files = opts.files ?? [];
  form.set("attachments", String(files.length));
  if (files.length > 0) {
    form.set("attachment-info", JSON.stringify(Object.fromEntries(files.map((f, i) => [`attachment${i + 1}`, { filename: f.name, name: f.name, type: f.type }]))));
    files.forEach((f, i) => form.set(`attachment${i + 1}`, f, f.name));
  }
  const req = new Request("http://x.test", { method: "POST", body: form });
  return { bytes: new Uint8Array(await req.arrayBuffer()), contentType: req.headers.get("content-type")! };
}

async function postEmail(body: { bytes: Uint8Array; contentType: string }, opts: { query?: string; headers?: Record<string, string> } = {}) {
  return webhook(`/webhooks/email?ws=${ws.workspaceId}${opts.query ?? `&secret=${INBOUND_SECRET}`}`, {
    body: body.bytes,
    headers: { "content-type": body.contentType, ...opts.headers },
  });
}

const isSend = (r: { path: string }) => r.path === "/v3/mail/send";
type Mail = {
  personalizations: { to: { email: string; name?: string }[] }[];
  from: { email: string; name?: string };
  subject: string;
  content: { type: string; value: string }[];
  headers: Record<string, string>;
};

const QUESTION = [
  "Hello,",
  "",
  "How long does standard shipping take?",
  "",
  "Thanks,",
  "Ann",
  "",
  "On Mon, 24 Nov 2026 at 09:12, Acme Support <help@acme.test> wrote:",
  "> Thanks for your order!",
  "> It ships soon.",
].join("\n");

describe("email through SendGrid", () => {
  it("answers the new part of an email with SendGrid mail send, threaded with In-Reply-To and References", async () => {
    const res = await postEmail(await parseForm({ text: QUESTION, headers: ["Message-ID: <m1.ann@mail.customer.test>"] }));
    expect(res.status).toBe(200);

    const [send] = await waitForRequests(scn, isSend);
    expect(send!.status).toBe(202);
    expect(send!.headers.authorization).toBe(`Bearer ${CREDS.sendgridApiKey}`);
    const mail = send!.body as Mail;
    expect(mail.personalizations[0]!.to).toEqual([{ email: "ann@customer.test", name: "Ann Lee" }]);
    expect(mail.from).toEqual({ email: SUPPORT, name: "Acme Support" });
    expect(mail.subject).toBe("Re: Shipping question");
    expect(mail.content.map((c) => c.type)).toEqual(["text/plain", "text/html"]);
    expect(mail.content[0]!.value).toContain("3 to 5 business days");
    expect(mail.headers["In-Reply-To"]).toBe("<m1.ann@mail.customer.test>");
    expect(mail.headers.References).toBe("<m1.ann@mail.customer.test>");
    expect(mail.headers["Message-ID"]).toMatch(/^<conv_\w+\.\w+@acme\.test>$/);

    // Only the new text reached the assistant: no quoted history, no signature.
    const [conv] = await channelConversations(ws.workspaceId, "email");
    expect(conv).toMatchObject({ external_ref: "ann@customer.test|<m1.ann@mail.customer.test>", visitor_id: "email:ann@customer.test" });
    const visitor = (await messagesOf(ws.token, conv!.id)).filter((m) => m.sender_type === "visitor");
    expect(visitor.map((m) => m.content)).toEqual(["Hello,\n\nHow long does standard shipping take?"]);

    // The customer's reply to our answer lands in the same conversation and thread.
    const ours = mail.headers["Message-ID"]!;
    await postEmail(
      await parseForm({
        subject: "Re: Shipping question",
        text: `And how long does a full battery charge take?\n\nOn Mon, Acme Support <${SUPPORT}> wrote:\n> ${mail.content[0]!.value}`,
        headers: ["Message-ID: <m2.ann@mail.customer.test>", `In-Reply-To: ${ours}`, `References: <m1.ann@mail.customer.test>\r\n ${ours}`],
      }),
    );
    const sends = await waitForRequests(scn, isSend, { count: 2 });
    const second = sends[1]!.body as Mail;
    expect(second.subject).toBe("Re: Shipping question");
    expect(second.headers["In-Reply-To"]).toBe("<m2.ann@mail.customer.test>");
    expect(second.headers.References).toBe(`<m1.ann@mail.customer.test> ${ours} <m2.ann@mail.customer.test>`);
    expect(second.content[0]!.value).toContain("4 hours");
    expect(await channelConversations(ws.workspaceId, "email")).toHaveLength(1);
  });

  it("accepts the secret as basic auth, refuses a wrong or missing one with 401 and does nothing", async () => {
    const email = await parseForm({ text: "How long does standard shipping take?", headers: ["Message-ID: <auth.1@mail.customer.test>"] });
    expect((await postEmail(email, { query: "&secret=wrong" })).status).toBe(401);
    expect((await postEmail(email, { query: "" })).status).toBe(401);
    expect((await postEmail(email, { query: "", headers: { authorization: `Basic ${btoa("sendgrid:wrong")}` } })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await providerLog(scn)).toEqual([]);
    expect(await channelConversations(ws.workspaceId, "email")).toEqual([]);

    const ok = await postEmail(email, { query: "", headers: { authorization: `Basic ${btoa(`sendgrid:${INBOUND_SECRET}`)}` } });
    expect(ok.status).toBe(200);
    await waitForRequests(scn, isSend);
    // The same Message-ID again (SendGrid retries) is not answered twice.
    expect((await postEmail(email)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await providerLog(scn)).filter(isSend)).toHaveLength(1);
  });

  it("requires SendGrid's signature when a verification key is configured", async () => {
    const email = await parseForm({ text: "How long does standard shipping take?", headers: ["Message-ID: <signed.1@mail.customer.test>"] });
    const now = Math.floor(Date.now() / 1000);
    const sign = (timestamp: number) =>
      fetch(`${env.PROVIDERS_FAKE_URL}/_oracle/sendgrid-sign`, {
        method: "POST",
        body: JSON.stringify({ payload_base64: toBase64(email.bytes), timestamp }),
      }).then((r) => r.json() as Promise<{ signature: string; public_key: string }>);
    const signed = await sign(now);
    await configureEmail({ signature_public_key: signed.public_key });
    const headers = (s: string, t: number) => ({ "x-twilio-email-event-webhook-signature": s, "x-twilio-email-event-webhook-timestamp": String(t) });

    expect((await postEmail(email)).status).toBe(401); // unsigned
    const stale = await sign(now - 600);
    expect((await postEmail(email, { headers: headers(stale.signature, now - 600) })).status).toBe(401);
    expect((await postEmail(email, { headers: headers(signed.signature, now + 1) })).status).toBe(401); // timestamp not the signed one
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await channelConversations(ws.workspaceId, "email")).toEqual([]);

    expect((await postEmail(email, { headers: headers(signed.signature, now) })).status).toBe(200);
    await waitForRequests(scn, isSend);
  });

  it("keeps attachments with the conversation and ignores automatic replies", async () => {
    const pdf = new File([new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")], "invoice.pdf", { type: "application/pdf" });
    await postEmail(await parseForm({ text: "How long does standard shipping take?", headers: ["Message-ID: <att.1@mail.customer.test>"], files: [pdf] }));
    await waitForRequests(scn, isSend);
    const [conv] = await channelConversations(ws.workspaceId, "email");
    const stored = await env.FILES.list({ prefix: `ws/${ws.workspaceId}/conv/${conv!.id}/att/` });
    expect(stored.objects.map((o) => o.key.split("/").pop())).toEqual(["invoice.pdf"]);
    const [visitor] = (await messagesOf(ws.token, conv!.id)).filter((m) => m.sender_type === "visitor");
    expect(visitor!.content).toMatch(/\[invoice\.pdf\]\(http:\/\/api\.test\/api\/v1\/conversations\/conv_\w+\/attachments\/att_\w+\)/);

    const auto = await parseForm({
      from: "Ann Lee <ann@customer.test>",
      text: "I am out of the office until Monday.",
      headers: ["Message-ID: <ooo.1@mail.customer.test>", "Auto-Submitted: auto-replied"],
    });
    expect((await postEmail(auto)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await providerLog(scn)).filter(isSend)).toHaveLength(1);
    await eventually(async () => expect(await channelConversations(ws.workspaceId, "email")).toHaveLength(1));
  });
});
