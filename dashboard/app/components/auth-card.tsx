import type { ReactNode } from "react";

/** The centred card of the signed-out pages (sign in, sign up, invitation). */
export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main id="main" className="centered">
      <div className="card narrow">
        <p className="brand">EdgeDesk</p>
        <h1>{title}</h1>
        {children}
        {footer ? <div className="auth-footer">{footer}</div> : null}
      </div>
    </main>
  );
}
