import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildPdf } from "./document-fixtures";
import { listenLocally, readBody, type RunningFake } from "./fake-http";

/**
 * A small help-center website for the crawler tests: the kind of site a business points its
 * knowledge base at. Every page lives under a scenario prefix, `/<scenario>/…`, so tests that run
 * at the same time each crawl, change and inspect their own copy of the site.
 *
 * Pages of every scenario (`<s>` is the prefix):
 *   /<s>/                   home: links to the help pages, an external site, a nofollow link,
 *                           a #fragment, a mailto, the private area and the PDF guide
 *   /<s>/help/hours         links on to /help/holidays (depth 2), which links to /help/archive (depth 3)
 *   /<s>/help/shipping, /help/returns, /help/contact, /help/promo (only linked as nofollow)
 *   /<s>/private/staff-notes   disallowed by /robots.txt
 *   /<s>/guide.pdf          a real PDF titled "Assembly Guide"
 *   /<s>/elsewhere          only linked through another origin (`localhost` instead of 127.0.0.1)
 *   /<s>/sitemap.xml        a `<urlset>` (with one URL of another site)
 *   /<s>/sitemap-index.xml  a `<sitemapindex>` of /sitemap-help.xml, /sitemap-more.xml and itself
 *   /<s>/broken             always HTTP 500; anything else is HTTP 404
 *   /<s>/redirect?to=<url>  HTTP 302 to `<url>`
 * Test controls:
 *   POST /__set?path=/<s>/help/hours   the request body (HTML) replaces that page from now on
 *   GET  /__log?prefix=/<s>/           JSON list of `{path, user_agent}` the site has served
 */

/** A running fake site. */
export type FakeSite = RunningFake;

/** What /robots.txt says: the private area is off limits to every crawler, in any scenario. */
const ROBOTS_TXT = ["User-agent: *", "Disallow: /private", "Disallow: /*/private", "", "User-agent: GreedyBot", "Disallow: /", ""].join("\n");

const html = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><main>${body}</main></body></html>`;

/** The default pages of a scenario, keyed by the path after its prefix. */
function pages(prefix: string, otherOrigin: string): Record<string, string> {
  return {
    "/": html(
      "Acme Help Center",
      `<h1>Acme Help Center</h1>
       <p>Welcome to the Acme bicycle shop help center.</p>
       <ul>
         <li><a href="help/hours">Opening hours</a></li>
         <li><a href="${prefix}/help/shipping">Shipping</a></li>
         <li><a href="./help/returns#policy">Returns</a></li>
         <li><a href="help/contact">Contact</a></li>
         <li><a href="guide.pdf">Assembly guide (PDF)</a></li>
         <li><a href="help/promo" rel="nofollow sponsored">Spring promotion</a></li>
         <li><a href="private/staff-notes">Staff only</a></li>
         <li><a href="${otherOrigin}${prefix}/elsewhere">Our partner shop</a></li>
         <li><a href="#top">Back to top</a></li>
         <li><a href="mailto:support@acme.test">Email us</a></li>
         <li><a href="javascript:void(0)">Chat</a></li>
       </ul>`,
    ),
    "/help/hours": html(
      "Opening hours",
      `<h1>Opening hours</h1>
       <p>The Acme shop is open Monday to Friday from nine to five. Holiday hours are listed separately.</p>
       <p><a href="holidays">Holiday hours</a> · <a href="../">Home</a> · <a href="hours">This page</a></p>`,
    ),
    "/help/holidays": html(
      "Holiday hours",
      `<h1>Holiday hours</h1><p>Over the winter holidays the workshop closes for maintenance.</p><p><a href="archive">Older notices</a></p>`,
    ),
    "/help/archive": html("Notice archive", `<h1>Notice archive</h1><p>In the archive: the spring relocation of the showroom.</p>`),
    "/help/shipping": html("Shipping", `<h1>Shipping</h1><p>Parcels leave the warehouse within two days by courier.</p><p><a href="hours">Opening hours</a></p>`),
    "/help/returns": html("Returns", `<h1>Returns</h1><p>Unused accessories can be returned within thirty days for a refund.</p>`),
    "/help/contact": html("Contact", `<h1>Contact</h1><p>Call the helpdesk or write to the support mailbox.</p>`),
    "/help/promo": html("Spring promotion", `<h1>Spring promotion</h1><p>Sponsored tyres at half price.</p>`),
    "/private/staff-notes": html("Staff notes", `<h1>Staff notes</h1><p>The safe code is confidential.</p>`),
    "/elsewhere": html("Partner shop", `<h1>Partner shop</h1><p>A different website entirely.</p>`),
  };
}

function urlset(origin: string, prefix: string, paths: string[], absolute: string[] = []): string {
  const locs = [...paths.map((p) => `${origin}${prefix}${p}`), ...absolute];
  const urls = locs.map((loc) => `  <url><loc>${loc}</loc><lastmod>2026-01-01</lastmod></url>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`;
}

function sitemapIndex(origin: string, prefix: string, paths: string[]): string {
  const maps = paths.map((p) => `  <sitemap><loc>${origin}${prefix}${p}</loc></sitemap>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${maps}\n</sitemapindex>\n`;
}

const GUIDE_PDF = buildPdf(
  [
    [
      { text: "Assembly Guide", x: 72, y: 740, size: 20, font: "bold" },
      { text: "Tighten the handlebar stem bolts to five newton metres.", x: 72, y: 700, size: 11 },
    ],
  ],
  { title: "Assembly Guide" },
);

/** Starts the fake site on a free port of 127.0.0.1. */
export async function startFakeSite(): Promise<FakeSite> {
  const overrides = new Map<string, string>();
  const served: { path: string; user_agent: string | undefined }[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://site.test");
    const path = url.pathname;
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };

    if (path === "/__set" && req.method === "POST") {
      overrides.set(url.searchParams.get("path") ?? "", (await readBody(req)).toString("utf8"));
      return send(204, "text/plain", "");
    }
    if (path === "/__log") {
      const prefix = url.searchParams.get("prefix") ?? "/";
      return send(200, "application/json", JSON.stringify(served.filter((s) => s.path.startsWith(prefix))));
    }

    served.push({ path, user_agent: req.headers["user-agent"] });
    if (path === "/robots.txt") return send(200, "text/plain", ROBOTS_TXT);

    const m = path.match(/^(\/[\w-]+)(\/.*)?$/);
    if (!m) return send(404, "text/html", html("Not found", "<p>No such page.</p>"));
    const prefix = m[1]!;
    const rest = m[2] ?? "/";
    const { port } = server.address() as AddressInfo;
    const origin = `http://${req.headers.host ?? `127.0.0.1:${port}`}`;

    const override = overrides.get(path);
    if (override !== undefined) return send(200, "text/html; charset=utf-8", override);
    switch (rest) {
      case "/guide.pdf":
        return send(200, "application/pdf", GUIDE_PDF);
      case "/broken":
        return send(500, "text/html", html("Server error", "<p>Something broke.</p>"));
      case "/redirect":
        // A moved page: 302 to whatever `?to=` names (the crawler checks where it leads).
        res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
        res.end();
        return;
      case "/sitemap.xml":
        // The partner shop's URL is there on purpose: a crawl stays on the sitemap's own site.
        return send(200, "application/xml", urlset(origin, prefix, ["/help/shipping", "/help/returns", "/guide.pdf"], [`http://localhost:${port}${prefix}/elsewhere`]));
      case "/sitemap-index.xml":
        // Lists itself too: a loop a crawler must not follow forever.
        return send(200, "application/xml", sitemapIndex(origin, prefix, ["/sitemap-help.xml", "/sitemap-more.xml", "/sitemap-index.xml"]));
      case "/sitemap-help.xml":
        return send(200, "application/xml", urlset(origin, prefix, ["/help/hours", "/help/shipping"]));
      case "/sitemap-more.xml":
        return send(200, "text/xml; charset=utf-8", urlset(origin, prefix, ["/help/contact", "/guide.pdf"]));
    }
    const page = pages(prefix, `http://localhost:${port}`)[rest];
    if (page === undefined) return send(404, "text/html", html("Not found", "<p>No such page.</p>"));
    return send(200, "text/html; charset=utf-8", page);
  }

  return listenLocally(server);
}
