/**
 * Tells the team about an escalation where they work: a Zendesk ticket (its id is stored on
 * the escalation), a Block Kit message in the support Slack channel, an email when an
 * address is configured, and a note on the visitor's HubSpot contact. Each target is done once; a failed one is retried by the queue
 * (after the provider's `Retry-After`) while the others are not repeated. The last failure is
 * kept on the escalation (`last_error`) and on the conversation, where the dashboard shows it.
 */
import { conversationStub } from "../conversation/service";
import { outboundPolicy } from "../lib/network-policy";
import { emailSettings, hubspotSettings, slackSettings, zendeskSettings } from "./channel-settings";
import { SendGridClient } from "./email/client";
import { escalationEmail } from "./email/escalation-email";
import { recordEscalationDelivery } from "./escalation-records";
import { logConversationToCrm } from "./hubspot/crm-log";
import type { EscalationJob } from "./jobs";
import { sendOnce } from "./once";
import { describeFailure, isRetryable, ProviderError, type ProviderName } from "./provider-error";
import { SlackClient } from "./slack/client";
import { escalationMessage } from "./slack/escalation-blocks";
import { briefOf, TRANSCRIPT_MESSAGES, type EscalationBrief } from "./transcript";
import { ZendeskClient } from "./zendesk/client";
import { escalationTicket } from "./zendesk/escalation-ticket";

/** One place an escalation goes. */
interface Target {
  provider: ProviderName;
  run(): Promise<void>;
}

/** What happened to each target. */
export interface EscalationDelivery {
  delivered: ProviderName[];
  failed: { provider: ProviderName; error: string }[];
}

/** The targets the workspace has configured. */
async function targetsFor(env: Env, job: EscalationJob, brief: EscalationBrief, ticketId: string | null): Promise<Target[]> {
  const [zendesk, slack, email, hubspot] = await Promise.all([
    zendeskSettings(env, job.workspace_id),
    slackSettings(env, job.workspace_id),
    emailSettings(env, job.workspace_id),
    hubspotSettings(env, job.workspace_id),
  ]);
  const targets: Target[] = [];
  const policy = outboundPolicy(env);
  if (zendesk && ticketId === null) {
    targets.push({
      provider: "zendesk",
      run: async () => {
        const client = new ZendeskClient(zendesk.baseUrl, zendesk.agentEmail, zendesk.apiToken, { policy });
        const ticket = await client.createTicket(escalationTicket(brief, zendesk));
        await (await conversationStub(env, job.workspace_id, job.conversation_id)).recordTicket(job.escalation_id, String(ticket.id));
        await recordEscalationDelivery(env, idsOf(job), { lastError: null, ticketProvider: "zendesk" });
      },
    });
  }
  const slackChannel = slack?.config.escalation_channel;
  if (slack?.botToken && slackChannel) {
    const token = slack.botToken;
    targets.push({
      provider: "slack",
      run: async () => {
        await sendOnce(env.DB, "escalation-slack", job.escalation_id, async () => {
          await new SlackClient(token, { baseUrl: slack.config.api_base_url, policy }).postMessage({ channel: slackChannel, ...escalationMessage(brief) });
        });
      },
    });
  }
  const notifyAddress = email?.config.escalation_address;
  const fromAddress = email?.config.from_address || email?.config.inbound_address;
  if (email?.apiKey && notifyAddress && fromAddress) {
    const apiKey = email.apiKey;
    targets.push({
      provider: "sendgrid",
      run: async () => {
        await sendOnce(env.DB, "escalation-email", job.escalation_id, async () => {
          await new SendGridClient(apiKey, { baseUrl: email.config.api_base_url, policy }).send(
            escalationEmail(brief, { email: fromAddress, name: email.config.from_name || undefined }, notifyAddress),
          );
        });
      },
    });
  }
  if (hubspot) {
    targets.push({
      provider: "hubspot",
      run: async () => {
        await logConversationToCrm(env, {
          workspaceId: job.workspace_id,
          conversationId: job.conversation_id,
          event: "escalated",
          eventKey: job.escalation_id,
          escalationReason: brief.reasonText,
        });
      },
    });
  }
  return targets;
}

function idsOf(job: EscalationJob) {
  return { workspaceId: job.workspace_id, conversationId: job.conversation_id, escalationId: job.escalation_id };
}

/**
 * Delivers an escalation to every configured target. Throws when one failed: a retryable
 * `ProviderError` (carrying the longest `Retry-After` asked for) when trying again may work.
 */
export async function deliverEscalation(env: Env, job: EscalationJob): Promise<EscalationDelivery> {
  const stub = await conversationStub(env, job.workspace_id, job.conversation_id);
  const conversation = await stub.describe();
  const escalation = conversation?.workspace_id === job.workspace_id ? await stub.getEscalation(job.escalation_id) : null;
  if (!conversation || !escalation) return { delivered: [], failed: [] };
  const messages = await stub.listMessages(0, TRANSCRIPT_MESSAGES);
  const brief = briefOf(conversation, messages, escalation, env.DASHBOARD_URL);
  const targets = await targetsFor(env, job, brief, escalation.ticket_id);

  const result: EscalationDelivery = { delivered: [], failed: [] };
  const errors: unknown[] = [];
  for (const target of targets) {
    try {
      await target.run();
      result.delivered.push(target.provider);
    } catch (err) {
      errors.push(err);
      result.failed.push({ provider: target.provider, error: describeFailure(err) });
    }
  }
  if (targets.length === 0) return result;

  if (errors.length === 0) {
    await recordEscalationDelivery(env, idsOf(job), { lastError: null });
    await stub.recordDeliveryError(null);
    return result;
  }
  const summary = result.failed.map((f) => f.error).join("; ");
  await recordEscalationDelivery(env, idsOf(job), { lastError: summary });
  await stub.recordDeliveryError({ provider: result.failed[0]!.provider, message: summary });
  const retryable = errors.filter(isRetryable);
  if (retryable.length === 0) throw errors[0];
  const waits = retryable.map((e) => (e instanceof ProviderError ? e.retryAfterSeconds : null)).filter((s): s is number => s !== null);
  const first = retryable[0];
  throw new ProviderError(
    first instanceof ProviderError ? first.provider : "zendesk",
    first instanceof ProviderError ? first.status : 0,
    summary,
    waits.length > 0 ? Math.max(...waits) : null,
  );
}
