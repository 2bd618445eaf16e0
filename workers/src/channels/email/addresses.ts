/**
 * Email addresses and Message-IDs as they appear in headers: `Name <addr>` lists and the
 * `<id@host>` tokens of `Message-ID`, `In-Reply-To` and `References`.
 */

/** One mailbox. */
export interface Mailbox {
  email: string;
  name: string | null;
}

const ADDRESS = /[^\s<>@,;"]+@[^\s<>@,;"]+\.[^\s<>@,;"]+/;

/** The first mailbox of an address header (`"Ann Lee" <ann@example.com>, …`); null if none. */
export function parseMailbox(value: string | null | undefined): Mailbox | null {
  if (!value) return null;
  const angle = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>/.exec(value);
  if (angle && ADDRESS.test(angle[2]!)) {
    const name = (angle[1] ?? "").trim();
    return { email: angle[2]!.trim().toLowerCase(), name: name || null };
  }
  const bare = ADDRESS.exec(value);
  return bare ? { email: bare[0].toLowerCase(), name: null } : null;
}

/** Every address in a list header. */
export function parseAddressList(value: string | null | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(new RegExp(ADDRESS.source, "g"))].map((m) => m[0].toLowerCase());
}

/** The `<…>` ids of a `Message-ID`, `In-Reply-To` or `References` header, in order. */
export function parseMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}

/** The domain of an address, for our own Message-IDs. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1) || "localhost";
}
