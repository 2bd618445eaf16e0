import { describe, expect, it } from "vitest";
import { parseHtml } from "./html";

describe("parseHtml", () => {
  it("keeps the title, headings and text, and drops scripts, styles and page furniture", async () => {
    const html = `<!DOCTYPE html>
<html lang="fr"><head>
  <meta charset="utf-8"><title>Aide &amp; FAQ &ndash; Caf&eacute;</title>
  <style>body { color: red } h1::after { content: "<b>" }</style>
  <script>var x = "<h1>not a heading</h1>"; if (a < b && c > d) {}</script>
</head><body>
  <header><a href="/">Home</a> <a href="/pricing">Pricing</a></header>
  <nav><ul><li>Menu item</li></ul></nav>
  <main>
    <h1>Questions fr&eacute;quentes</h1>
    <p>Livraison en 48&nbsp;h &mdash; &#x201C;garantie&#8221; &amp co&period; &notit; &copy 2025</p>
    <aside>Related: other pages</aside>
    <h2>Paiement</h2>
    <p>Nous acceptons :</p>
    <ul><li>Visa<li>Mastercard</ul>
    <table><tr><th>Plan</th><th>Prix</th></tr><tr><td>Basic</td><td>10&nbsp;&euro;</td></tr></table>
    <noscript>Enable JavaScript</noscript>
    <p>Fin<br>du texte</p>
  </main>
  <footer>© ACME — Mentions légales</footer>
  <script src="/app.js"></script>
</body></html>`;
    expect(await parseHtml(html)).toEqual({
      title: "Aide & FAQ – Café",
      sections: [
        { heading: "Questions fréquentes", level: 1, text: "Livraison en 48 h — “garantie” & co. ¬it; © 2025" },
        { heading: "Paiement", level: 2, text: "Nous acceptons :\n\nVisa\nMastercard\n\nPlan | Prix\nBasic | 10 €\n\nFin\ndu texte" },
      ],
    });
  });

  it("closes paragraphs and headings left open, and keeps an article's own header", async () => {
    const html = "<article><header><h1>Reset your password</h1></header><p>Open settings.<p>Click <b>Reset</b>.<h2>Still stuck?</h2>Write to us</article>";
    expect(await parseHtml(html)).toEqual({
      title: "Reset your password",
      sections: [
        { heading: "Reset your password", level: 1, text: "Open settings.\n\nClick Reset." },
        { heading: "Still stuck?", level: 2, text: "Write to us" },
      ],
    });
  });

  it("keeps preformatted lines and drops hidden elements", async () => {
    const html = "<body><pre>npm install\nnpm start</pre><div hidden>secret</div><div aria-hidden=true>icon</div><p>Done</p></body>";
    expect((await parseHtml(html)).sections).toEqual([{ heading: null, level: 0, text: "npm install\nnpm start\n\nDone" }]);
  });

  it("takes og:title when there is no <title>", async () => {
    const html = '<head><meta property="og:title" content="Shipping &amp; returns"></head><body><p>Text</p></body>';
    expect((await parseHtml(html)).title).toBe("Shipping & returns");
  });
});
