/**
 * Attachments before they are sent: checks, uploads (`POST …/attachments`), and the chips in the
 * composer. Loaded with rich.js when the visitor picks a file.
 */
import type { Signal } from "@preact/signals";
import type { Attachment } from "../app/conversation-state";
import type { Translate } from "../app/i18n";
import type { ChatSession } from "../app/session";
import { MAX_UPLOAD_BYTES, UPLOAD_TYPES } from "../shared/uploads";

/** The composer's files: uploaded, uploading, and the last problem. */
export interface FileState {
  files: Signal<Attachment[]>;
  busy: Signal<string[]>;
  error: Signal<string>;
}

type Problem = "tooLarge" | "badType" | "uploadFailed";

/** Why the API refused a file, in the composer's words. */
function problemOf(err: unknown): Problem {
  const status = (err as { status?: number }).status; // an HttpError of the session
  return status === 413 ? "tooLarge" : status === 415 ? "badType" : "uploadFailed";
}

/** Checks and uploads the chosen files one by one; each ends as a chip or as an error. */
export async function attach(session: ChatSession, chosen: File[], state: FileState, t: Translate): Promise<void> {
  state.error.value = "";
  for (const file of chosen) {
    const name = file.name;
    const refused: Problem | null = file.size > MAX_UPLOAD_BYTES ? "tooLarge" : file.type && !UPLOAD_TYPES.includes(file.type) ? "badType" : null;
    if (refused) {
      state.error.value = t(refused, { name });
      continue;
    }
    state.busy.value = [...state.busy.value, name];
    try {
      const form = new FormData();
      form.append("file", file, name);
      const attachment = (await session.conversationCall("POST", "/attachments", { form })) as Attachment;
      state.files.value = [...state.files.value, attachment];
    } catch (err) {
      state.error.value = t(problemOf(err), { name });
    } finally {
      state.busy.value = state.busy.value.filter((n) => n !== name);
    }
  }
}

/** The composer's chips: files ready to send (removable), files uploading, the last error. */
export function Files({ state, t }: { state: FileState; t: Translate }) {
  const { files, busy, error } = state;
  if (!files.value.length && !busy.value.length && !error.value) return null;
  return (
    <div class="files">
      {files.value.map((f) => (
        <span class="fchip">
          {f.filename}
          <button type="button" class="x" aria-label={t("remove", { name: f.filename })} onClick={() => (files.value = files.value.filter((x) => x !== f))}>
            ×
          </button>
        </span>
      ))}
      {busy.value.map((name) => (
        <span class="fchip" role="status">
          {t("uploading", { name })}
        </span>
      ))}
      {error.value && (
        <p class="err" role="alert">
          {error.value}
        </p>
      )}
    </div>
  );
}
