/**
 * The contract between a cloud's `ModelRouter` construct and the router bundle it deploys: the
 * environment variables the construct sets and the handler reads. Pure constants and string helpers,
 * imported by both sides (the constructs never load the runtime, the bundle never loads a construct
 * library), so the two cannot drift apart.
 *
 * Secrets are never environment values. A variable that names a secret holds a *secret reference*:
 *   - `aws-sm:<secret ARN>`                          AWS Secrets Manager (GetSecretValue, the function's role)
 *   - `gcp-sm:projects/<p>/secrets/<s>/versions/<v>` Google Secret Manager (`:access`, the service account)
 *   - `azure-kv:https://<vault>.vault.azure.net/secrets/<name>` Azure Key Vault (the managed identity)
 *   - `file:<absolute path>`                         a file (a mounted secret volume)
 * The handler reads each one on the first request and again every `secretRefreshSeconds`, so a key
 * added, rotated or revoked in the secret store takes effect without a redeploy.
 */

export const ROUTER_ENV = {
  /** The router config JSON (`serializeRouterConfig`) or the path of a file holding it. */
  config: 'AI_STACK_ROUTER_CONFIG',
  /** Secret reference of the tenant key hashes: JSON `{ "<tenantId>": ["<sha256 hex>", ...] }`. */
  keyHashes: 'AI_STACK_KEY_HASHES',
  /** Seconds between two reads of each secret reference. */
  secretRefreshSeconds: 'AI_STACK_SECRET_REFRESH_SECONDS',
  /** Which shared ledger and rate limiter: one of `ROUTER_STORES`. */
  store: 'AI_STACK_ROUTER_STORE',
  /** DynamoDB table names, or Azure table names. */
  ledgerTable: 'AI_STACK_LEDGER_TABLE',
  rateTable: 'AI_STACK_RATE_TABLE',
  /** Azure Table storage endpoint, `https://<account>.table.core.windows.net`. */
  tablesEndpoint: 'AI_STACK_TABLES_ENDPOINT',
  /** Firestore database, `projects/<project>/databases/<database>`. */
  firestoreDatabase: 'AI_STACK_FIRESTORE_DATABASE',
  /** Firestore collections of the ledger and the rate limiter. */
  ledgerCollection: 'AI_STACK_LEDGER_COLLECTION',
  rateCollection: 'AI_STACK_RATE_COLLECTION',
  /**
   * Longest a request may run, ms (the function timeout): the expiry rule of a crashed instance's
   * reservations (lib/router/stores/distributed/expiry.ts `maxRequestMs`).
   */
  maxRequestMs: 'AI_STACK_MAX_REQUEST_MS',
  /** Client id of the user-assigned managed identity (Azure's standard variable name). */
  azureClientId: 'AZURE_CLIENT_ID',
  /** Azure OpenAI resource URL of azure-openai targets. */
  azureOpenAiEndpoint: 'AZURE_OPENAI_ENDPOINT',
  /** GCP project of Vertex AI targets. */
  gcpProject: 'AI_STACK_GCP_PROJECT',
  /**
   * The cloud guard the router calls (lib/router/guard), set by the cloud's `Guardrail` construct:
   * AWS `bedrock` (guardrail id + version), GCP `model-armor` (template resource name), Azure
   * `content-safety` (Content Safety account endpoint). Unset: only the router's local filters run.
   */
  guardKind: 'AI_STACK_GUARD_KIND',
  /** Bedrock guardrail identifier (id or ARN). */
  bedrockGuardrailId: 'AI_STACK_GUARD_BEDROCK_ID',
  /** Bedrock guardrail version number (a published `AWS::Bedrock::GuardrailVersion`, never DRAFT). */
  bedrockGuardrailVersion: 'AI_STACK_GUARD_BEDROCK_VERSION',
  /** Model Armor template, `projects/<p>/locations/<l>/templates/<id>`. */
  modelArmorTemplate: 'AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE',
  /** Azure AI Content Safety endpoint, `https://<account>.cognitiveservices.azure.com`. */
  contentSafetyEndpoint: 'AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT',
} as const;

/** Cloud guards a deployed router can call; the value of `ROUTER_ENV.guardKind`. */
export const GUARD_KINDS = ['bedrock', 'model-armor', 'content-safety'] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];

/**
 * AWS only, set when a `ModelRouter` has `tenantInferenceProfiles`: the application inference
 * profile of each tenant and Bedrock target, JSON `{ "<tenantId>": { "<target id>": "<profile ARN>" } }`.
 * Each profile copies the target's model (or its cross-region inference profile) and carries the tag
 * `ai-stack:tenant`; a router that calls Bedrock with the profile ARN as the model id for that
 * tenant's requests lets Cost Explorer attribute the spend per tenant. The runtime reads it
 * (lib/router/handlers/from-env.ts) and the Bedrock adapter calls the tenant's profile ARN.
 */
export const BEDROCK_TENANT_PROFILES_ENV = 'AI_STACK_BEDROCK_TENANT_PROFILES';

/** Shared stores a deployed router can use; `memory` keeps one instance's budget only. */
export const ROUTER_STORES = ['memory', 'dynamodb', 'azure-tables', 'firestore'] as const;
export type RouterStore = (typeof ROUTER_STORES)[number];

/** Default seconds between two reads of a secret reference. */
export const DEFAULT_SECRET_REFRESH_SECONDS = 60;

function envSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Variable holding a GPU endpoint's base URL, e.g. `http://internal-alb.example:80` (no `/v1`). */
export function endpointUrlEnv(endpoint: string): string {
  return `AI_STACK_ENDPOINT_URL_${envSuffix(endpoint)}`;
}

/** Variable holding the secret reference of a GPU endpoint's API key (sent as `Authorization: Bearer`). */
export function endpointKeyEnv(endpoint: string): string {
  return `AI_STACK_ENDPOINT_KEY_${envSuffix(endpoint)}`;
}

/** The model server's variable that makes it refuse calls without the key (lib/common/model-server.ts). */
export { MODEL_SERVER_API_KEY_ENV } from '../common/model-server';

export type SecretRefScheme = 'aws-sm' | 'gcp-sm' | 'azure-kv' | 'file';

export const SECRET_REF_SCHEMES: readonly SecretRefScheme[] = ['aws-sm', 'gcp-sm', 'azure-kv', 'file'];

/** `aws-sm:<arn>` etc.; the value may be a synth-time token that resolves at deploy. */
export function secretRef(scheme: SecretRefScheme, locator: string): string {
  return `${scheme}:${locator}`;
}

/** Splits a secret reference; undefined when its scheme is not one of `SECRET_REF_SCHEMES`. */
export function parseSecretRef(ref: string): { scheme: SecretRefScheme; locator: string } | undefined {
  const colon = ref.indexOf(':');
  if (colon < 0) return undefined;
  const scheme = ref.slice(0, colon) as SecretRefScheme;
  const locator = ref.slice(colon + 1);
  return SECRET_REF_SCHEMES.includes(scheme) && locator !== '' ? { scheme, locator } : undefined;
}
