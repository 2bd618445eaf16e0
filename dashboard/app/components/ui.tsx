/** Small building blocks every page uses: CSRF field, labelled fields, notices, empty states. */
import { Form, useRouteLoaderData, useSubmit } from "@remix-run/react";
import { forwardRef, useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import type { ActionResult } from "../lib/forms.server";

/** The hidden CSRF field every form carries. */
export function Csrf() {
  const root = useRouteLoaderData<{ csrf: string }>("root");
  return <input type="hidden" name="csrf" value={root?.csrf ?? ""} />;
}

/** The CSRF token, for forms built in script (uploads). */
export function useCsrf(): string {
  return useRouteLoaderData<{ csrf: string }>("root")?.csrf ?? "";
}

/** The form error of `result` for `intent`, and the error of one of its fields. */
export function errorsOf(result: ActionResult | undefined, intent?: string) {
  const mine = result && !result.ok && (!intent || result.intent === intent) ? result.error : undefined;
  const field = (name: string) => {
    if (!mine) return undefined;
    if (mine.fields[name]) return mine.fields[name];
    // `allowed_origins.2` belongs to the allowed_origins field.
    const nested = Object.keys(mine.fields).find((k) => k.startsWith(`${name}.`));
    return nested ? mine.fields[nested] : undefined;
  };
  return { message: mine?.message, field };
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

/** A labelled input with its hint and its error underneath, wired for screen readers. */
export function Field({ label, hint, error, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hint ? `${id}-hint` : "", error ? `${id}-error` : ""].join(" ").trim() || undefined}
        {...input}
      />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A field's hint and error, under it, with the ids its `aria-describedby` names. */
export function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: ReactNode }) {
  return (
    <>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </>
  );
}

/**
 * A report page's filters: a GET form that shows the page again as soon as one of its fields
 * changes, with a "Show" button for browsers without scripts.
 */
export function FilterForm({ label, children }: { label?: string; children: ReactNode }) {
  const submit = useSubmit();
  return (
    <Form method="get" className="row" onChange={(e) => submit(e.currentTarget)} aria-label={label}>
      {children}
      <noscript>
        <button className="button" type="submit">
          Show
        </button>
      </noscript>
    </Form>
  );
}

/** The "Period" select of a report page: `periods` offered, `value` chosen, submitted as `period`. */
export function PeriodField({ periods, value }: { periods: readonly { id: string; label: string }[]; value: string }) {
  // Keyed by the period shown: going back or forward to another period's address re-renders the
  // page without remounting it, and an uncontrolled select would keep the period it showed before.
  return (
    <SelectField key={value} label="Period" name="period" defaultValue={value}>
      {periods.map((p) => (
        <option key={p.id} value={p.id}>
          {p.label}
        </option>
      ))}
    </SelectField>
  );
}

/** A labelled select. */
export function SelectField({ label, hint, error, children, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined} {...select}>
        {children}
      </select>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A labelled textarea. */
export const TextAreaField = forwardRef<HTMLTextAreaElement, FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>>(function TextAreaField(
  { label, hint, error, ...area },
  ref,
) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        ref={ref}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hint ? `${id}-hint` : "", error ? `${id}-error` : ""].join(" ").trim() || undefined}
        {...area}
      />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
});

/** An error (role=alert) or a confirmation (role=status) shown where the action happened. */
export function Notice({ kind, children }: { kind: "error" | "success" | "info"; children: ReactNode }) {
  if (!children) return null;
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** What a list shows when it has nothing yet, and what to do about it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}

/** A page heading with an optional description and actions on the right. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A badge for a status word (active, ready, failed, admin…). */
export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value.replace(/[^a-z_]/g, "")}`}>{value.replace(/_/g, " ")}</span>;
}

/** A button that copies `value` to the clipboard and says so. */
export function CopyButton({ value, label = "Copy" }: { value: string; label?: string }) {
  return (
    <button
      type="button"
      className="button secondary small"
      onClick={(e) => {
        const button = e.currentTarget;
        void navigator.clipboard?.writeText(value).then(() => {
          button.textContent = "Copied";
          setTimeout(() => (button.textContent = label), 1500);
        });
      }}
    >
      {label}
    </button>
  );
}

/** The result of a successful `intent`, typed by the caller. */
export function resultOf<T>(result: { ok: boolean; intent: string; result?: unknown } | undefined, intent: string): T | undefined {
  return result?.ok && result.intent === intent ? (result.result as T) : undefined;
}
