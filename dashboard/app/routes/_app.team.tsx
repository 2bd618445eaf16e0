import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import type { Invite, InviteWithToken, Page, Role, TeamMember } from "../../../schema/api";
import { Badge, Csrf, CopyButton, errorsOf, resultOf, Field, Notice, PageHeader, SelectField } from "../components/ui";
import { api, loaderFailure, requireMe } from "../lib/auth.server";
import { dateTime } from "../lib/format";
import { attempt, intentAction, text } from "../lib/forms.server";
import { can } from "../lib/roles";

export const meta: MetaFunction = () => [{ title: "Team · EdgeDesk" }];

const ROLES: { value: Role; label: string; help: string }[] = [
  { value: "viewer", label: "Viewer", help: "reads conversations and analytics" },
  { value: "manager", label: "Manager", help: "also replies, resolves and manages knowledge" },
  { value: "admin", label: "Admin", help: "everything, including keys, team and integrations" },
];

export async function loader(args: LoaderFunctionArgs) {
  try {
    const me = await requireMe(args);
    const admin = can(me.user.role, "manageTeam");
    const [members, invites] = await Promise.all([
      api<Page<TeamMember>>(args, "GET", "/team", { query: { limit: 100 } }),
      admin ? api<Page<Invite>>(args, "GET", "/team/invites", { query: { limit: 50 } }) : Promise.resolve(null),
    ]);
    return { members: members.data, invites: invites?.data.filter((i) => i.status === "pending") ?? [], me: me.user, admin };
  } catch (err) {
    return loaderFailure(err);
  }
}

export const action = intentAction("admin", {
  invite: ({ args, form, intent }) =>
    attempt(intent, async () => {
      const invite = await api<InviteWithToken>(args, "POST", "/team/invites", { body: { email: text(form, "email") ?? "", role: text(form, "role") ?? "" } });
      // The link points at this dashboard, wherever it is served from.
      return { ...invite, url: `${new URL(args.request.url).origin}/invite/${invite.token}` };
    }),
  revoke_invite: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "DELETE", `/team/invites/${text(form, "invite_id") ?? ""}`), "Invitation revoked."),
  role: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "PATCH", `/team/${text(form, "user_id") ?? ""}`, { body: { role: text(form, "role") ?? "" } }), "Role changed."),
  remove: ({ args, form, intent }) =>
    attempt(intent, () => api(args, "DELETE", `/team/${text(form, "user_id") ?? ""}`), "Member removed; their sessions ended."),
});

export default function Team() {
  const { members, invites, me, admin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const inviteErrors = errorsOf(result, "invite");
  const invited = resultOf<InviteWithToken>(result, "invite");
  return (
    <>
      <PageHeader title="Team" description="Who can use this workspace, and what they may do." />
      {admin ? (
        <Form method="post" className="card stack" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <Csrf />
          <input type="hidden" name="intent" value="invite" />
          <Notice kind="error">{inviteErrors.message}</Notice>
          <div className="row">
            <Field label="Email" name="email" type="email" required error={inviteErrors.field("email")} />
            <SelectField label="Role" name="role" defaultValue="viewer" error={inviteErrors.field("role")}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}: {r.help}
                </option>
              ))}
            </SelectField>
            <button className="button" type="submit" disabled={busy}>
              Create invitation link
            </button>
          </div>
          {invited ? (
            <div className="notice notice-success" role="status">
              <p>
                Send this link to {invited.email}. It works once, for 7 days, and is shown only now.
              </p>
              <div className="secret">
                <code data-testid="invite-link">{invited.url}</code>
                <CopyButton value={invited.url} />
              </div>
            </div>
          ) : null}
        </Form>
      ) : null}
      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Members of the workspace">
          <table>
            <caption className="visually-hidden">Members of the workspace</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Last sign-in</th>
                {admin ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <MemberRow key={m.id} member={m} admin={admin} self={m.id === me.id} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {admin ? (
        <section aria-labelledby="invites-heading">
          <h2 id="invites-heading">Pending invitations</h2>
          {invites.length === 0 ? (
            <p className="muted">No pending invitations.</p>
          ) : (
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Pending invitations">
              <table>
                <caption className="visually-hidden">Pending invitations</caption>
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {invites.map((i) => (
                    <tr key={i.id}>
                      <td>{i.email}</td>
                      <td>{i.role}</td>
                      <td>{dateTime(i.expires_at)}</td>
                      <td>
                        <Form method="post">
                          <Csrf />
                          <input type="hidden" name="invite_id" value={i.id} />
                          <button className="button secondary small" type="submit" name="intent" value="revoke_invite" aria-label={`Revoke the invitation of ${i.email}`}>
                            Revoke
                          </button>
                        </Form>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}
    </>
  );
}

function MemberRow({ member: m, admin, self }: { member: TeamMember; admin: boolean; self: boolean }) {
  const fetcher = useFetcher<typeof action>();
  // The new role shows at once; if the API refuses (last admin), it snaps back with the reason.
  const pendingRole = fetcher.formData?.get("intent") === "role" ? (fetcher.formData.get("role") as Role) : null;
  const role = pendingRole ?? m.role;
  const error = fetcher.data && !fetcher.data.ok ? fetcher.data.error.message : undefined;
  if (fetcher.formData?.get("intent") === "remove" || (fetcher.data?.ok && fetcher.data.intent === "remove")) return null;
  return (
    <tr data-member={m.email}>
      <td>
        {m.name ?? "—"} {self ? <span className="muted">(you)</span> : null}
      </td>
      <td>{m.email}</td>
      <td>
        {admin ? (
          <fetcher.Form method="post" className="actions">
            <Csrf />
            <input type="hidden" name="intent" value="role" />
            <input type="hidden" name="user_id" value={m.id} />
            <label className="visually-hidden" htmlFor={`role-${m.id}`}>
              Role of {m.email}
            </label>
            <select id={`role-${m.id}`} name="role" className="input" value={role} onChange={(e) => fetcher.submit(e.currentTarget.form)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
            <noscript>
              <button className="button small" type="submit">
                Change
              </button>
            </noscript>
          </fetcher.Form>
        ) : (
          <Badge value={m.role} />
        )}
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </td>
      <td>{m.last_login_at ? dateTime(m.last_login_at) : "never"}</td>
      {admin ? (
        <td>
          {self ? null : (
            <fetcher.Form
              method="post"
              onSubmit={(e) => {
                if (!confirm(`Remove ${m.email} from the workspace?`)) e.preventDefault();
              }}
            >
              <Csrf />
              <input type="hidden" name="user_id" value={m.id} />
              <button className="button danger small" type="submit" name="intent" value="remove" aria-label={`Remove ${m.email}`}>
                Remove
              </button>
            </fetcher.Form>
          )}
        </td>
      ) : null}
    </tr>
  );
}
