/**
 * Credentials the fake provider server accepts, shared by the server (Node) and the tests
 * (workerd). Anything else is refused the way the real provider refuses it.
 */
export const FAKE_PROVIDER_CREDENTIALS = {
  slackBotToken: "xoxb-fake-bot-token",
  slackTeamId: "T0FAKETEAM",
  slackBotUserId: "U0FAKEBOT",
  twilioAccountSid: "AC00000000000000000000000000000fake",
  twilioAuthToken: "fake-twilio-auth-token",
  sendgridApiKey: "SG.fake-sendgrid-key",
  zendeskAgentEmail: "agent@acme.example",
  zendeskApiToken: "fake-zendesk-api-token",
  zendeskUserId: 9001,
} as const;

/** One request as the fake provider server saw it. */
export interface ProviderRequest {
  provider: "slack" | "twilio" | "sendgrid" | "zendesk";
  method: string;
  /** The provider path (after `/<scenario>/<steps>/<provider>`). */
  path: string;
  step: string;
  /** The status the fake answered with. */
  status: number;
  headers: Record<string, string | undefined>;
  /** JSON body, or the form as an object (repeated names keep the last value). */
  body: unknown;
}
