/**
 * Uploads many files to the knowledge base, each with its own progress bar and its own error,
 * two at a time. Sent through the dashboard's server, which adds the user's credentials.
 */
import { useRevalidator } from "@remix-run/react";
import { useId, useState } from "react";
import { useCsrf } from "./ui";

interface Upload {
  key: string;
  name: string;
  progress: number;
  state: "waiting" | "uploading" | "queued" | "failed";
  message?: string;
}

/** Files sent at once; more would only compete for the same connection. */
const PARALLEL_UPLOADS = 2;
const ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt,text/plain,text/markdown,text/html,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document";

function send(file: File, assistantId: string, csrf: string, onProgress: (fraction: number) => void) {
  return new Promise<{ ok: boolean; message: string }>((resolve) => {
    const body = new FormData();
    body.set("csrf", csrf);
    body.set("assistant_id", assistantId);
    body.set("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/knowledge/upload");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: { status?: string; duplicate?: boolean; error?: { message?: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: the status says enough
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ ok: true, message: body.duplicate ? "already in the knowledge base" : "queued for processing" });
      else resolve({ ok: false, message: body.error?.message ?? `upload failed (${xhr.status})` });
    };
    xhr.onerror = () => resolve({ ok: false, message: "the connection failed" });
    xhr.send(body);
  });
}

export function Uploader({ assistantId }: { assistantId: string }) {
  const csrf = useCsrf();
  const inputId = useId();
  const revalidator = useRevalidator();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const update = (key: string, patch: Partial<Upload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  async function start(files: File[]) {
    const batch = files.map((f, i) => ({ key: `${Date.now()}-${i}-${f.name}`, name: f.name, progress: 0, state: "waiting" as const, file: f }));
    setUploads((all) => [...batch.map(({ file: _file, ...u }) => u), ...all]);
    const queue = [...batch];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { key, file } = next;
        update(key, { state: "uploading" });
        const result = await send(file, assistantId, csrf, (p) => update(key, { progress: p }));
        update(key, { state: result.ok ? "queued" : "failed", progress: result.ok ? 1 : 0, message: result.message });
        revalidator.revalidate();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker));
  }

  return (
    <div className="dropzone">
      <label htmlFor={inputId} className="upload-label">
        Upload files
      </label>{" "}
      <input
        id={inputId}
        type="file"
        multiple
        accept={ACCEPT}
        data-testid="upload-input"
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          e.currentTarget.value = "";
          if (files.length > 0) void start(files);
        }}
      />
      <p className="hint">PDF, Word (.docx), HTML, Markdown or text; up to 25 MB each. Several at once is fine.</p>
      {uploads.length > 0 ? (
        <ul className="uploads" aria-label="Uploads" aria-live="polite">
          {uploads.map((u) => (
            <li key={u.key} data-upload-state={u.state}>
              <span>{u.name}</span>
              <progress max={1} value={u.progress} aria-label={`Upload of ${u.name}`} />
              <span className={u.state === "failed" ? "field-error" : "muted"}>
                {u.state === "uploading" ? `${Math.round(u.progress * 100)}%` : u.state === "waiting" ? "waiting" : u.message}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
