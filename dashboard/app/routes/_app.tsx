import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { Form, NavLink, Outlet, useLoaderData, useLocation, useRouteLoaderData } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { Csrf } from "../components/ui";
import { requireMe, type Me } from "../lib/auth.server";
import { can, type Action } from "../lib/roles";

/** Every signed-in page: who is signed in (the pages hide what their role cannot do). */
export async function loader(args: LoaderFunctionArgs) {
  const me = await requireMe(args);
  return { user: me.user, workspace: me.workspace, systemHealth: me.system_health === true };
}

/** The signed-in user, for pages under the layout. */
export function useMe(): Me {
  return useRouteLoaderData<typeof loader>("routes/_app")!;
}

const NAV: { to: string; label: string; needs?: Action; operatorOnly?: boolean }[] = [
  { to: "/overview", label: "Overview" },
  { to: "/conversations", label: "Conversations" },
  { to: "/knowledge", label: "Knowledge base" },
  { to: "/assistants", label: "Assistants" },
  { to: "/analytics", label: "Analytics" },
  { to: "/saved-replies", label: "Saved replies" },
  { to: "/api-keys", label: "API keys", needs: "manageKeys" },
  { to: "/team", label: "Team" },
  { to: "/integrations", label: "Integrations", needs: "manageIntegrations" },
  { to: "/audit-log", label: "Audit log", needs: "viewAudit" },
  { to: "/billing", label: "Billing", needs: "manageBilling" },
  { to: "/settings", label: "Settings" },
  // The deployment's own health: for the operator workspace's admins only (the API says who).
  { to: "/system-health", label: "System health", operatorOnly: true },
];

function NavList({ role, label, systemHealth }: { role: Me["user"]["role"]; label: string; systemHealth: boolean }) {
  return (
    <nav aria-label={label}>
      <ul>
        {NAV.filter((n) => (!n.needs || can(role, n.needs)) && (!n.operatorOnly || systemHealth)).map((n) => (
          <li key={n.to}>
            <NavLink to={n.to} prefetch="intent">
              {n.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export default function AppLayout() {
  const { user, workspace, systemHealth } = useLoaderData<typeof loader>();
  const location = useLocation();
  const menu = useRef<HTMLDetailsElement>(null);
  // On a phone the menu closes after choosing a page.
  useEffect(() => {
    if (menu.current) menu.current.open = false;
  }, [location.pathname]);
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">EdgeDesk</span>
        <span className="workspace-name" title="Workspace">
          {workspace.name}
        </span>
        <details className="menu" ref={menu}>
          <summary>Menu</summary>
          <NavList role={user.role} label="Main menu" systemHealth={systemHealth} />
        </details>
        <div className="user">
          <NavLink to="/account" className="user-link">
            {user.name ?? user.email} <span className="role">({user.role})</span>
          </NavLink>
          <Form method="post" action="/logout">
            <Csrf />
            <button type="submit" className="button secondary small">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <div className="body">
        <aside className="sidebar">
          <NavList role={user.role} label="Main" systemHealth={systemHealth} />
        </aside>
        <main id="main" className="content">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
