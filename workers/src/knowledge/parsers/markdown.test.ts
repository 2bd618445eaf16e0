import { describe, expect, it } from "vitest";
import { parseMarkdown } from "./markdown";

describe("parseMarkdown", () => {
  it("takes the front matter's title and strips formatting the way a reader sees it", () => {
    const source = `---
title: "Getting Started"
tags: [setup]
---
Intro with **bold**, _emphasis_, ~~old~~ and \`inline *code*\`.

# Install

Run the [installer](https://example.com/install "Installer") and see ![diagram](d.png) the <kbd>Enter</kbd> key.
Keep snake_case_names and 2*3*4 intact &amp; decode entities.

\`\`\`bash
npm install --save edgedesk
# not a heading
\`\`\`

## Options

- [x] first *option*
- second option
1. numbered

| Option | Default |
|--------|:-------:|
| \`port\` | 8080 |

> Quoted **tip**.

<!-- a comment
spanning lines -->
[ref]: https://example.com
Setext heading
--------------
Under it.
`;
    expect(parseMarkdown(source)).toEqual({
      title: "Getting Started",
      sections: [
        { heading: null, level: 0, text: "Intro with bold, emphasis, old and inline *code*." },
        {
          heading: "Install",
          level: 1,
          text: "Run the installer and see the Enter key. Keep snake_case_names and 2*3*4 intact & decode entities.\n\nnpm install --save edgedesk\n# not a heading",
        },
        { heading: "Options", level: 2, text: "first option\nsecond option\nnumbered\n\nOption | Default\nport | 8080\n\nQuoted tip." },
        { heading: "Setext heading", level: 2, text: "Under it." },
      ],
    });
  });

  it("falls back to the first level-1 heading as title", () => {
    expect(parseMarkdown("# Refund policy\n\nThirty days.").title).toBe("Refund policy");
    expect(parseMarkdown("Just text.").title).toBeUndefined();
  });
});
