import type { Cloud } from './cloud';
import { isToken, joinKey, Problems } from './problems';
import { quote } from './quote';
import { obj, recordOf, str } from './shape';

/**
 * Cost-allocation tags applied to every resource (AWS tags, GCP labels, Azure tags). The four
 * standard tags are required so every cost line can be traced to a team and an application.
 */
export interface CostTagsDesign {
  /** Owning team. Rendered as the `team` tag. */
  readonly team: string;
  /** Cost centre or chargeback code. Rendered as the `cost-center` tag. */
  readonly costCenter: string;
  /** Deployment environment, e.g. `prod`, `staging`. Rendered as the `environment` tag. */
  readonly environment: string;
  /** Application or product name. Rendered as the `application` tag. */
  readonly application: string;
  /**
   * Further tags, rendered as given.
   * @default - no further tags
   */
  readonly extra?: Readonly<Record<string, string>>;
}

export const costTagsShape = obj({ team: str, costCenter: str, environment: str, application: str, extra: recordOf(str) }, [
  'team',
  'costCenter',
  'environment',
  'application',
]);

/** The standard tags, as keys rendered on resources. */
export const REQUIRED_TAG_KEYS = ['team', 'cost-center', 'environment', 'application'] as const;

/** Design tags as the flat key/value map rendered on resources (standard keys first, then extra). */
export function renderTags(tags: CostTagsDesign): Record<string, string> {
  return {
    team: tags.team,
    'cost-center': tags.costCenter,
    environment: tags.environment,
    application: tags.application,
    ...(tags.extra ?? {}),
  };
}

/** Where each rendered key comes from in the design, for error paths. */
function designPathOf(key: string): string {
  const standard: Record<string, string> = { team: 'tags.team', 'cost-center': 'tags.costCenter', environment: 'tags.environment', application: 'tags.application' };
  return standard[key] ?? joinKey('tags.extra', key);
}

const GCP_LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const GCP_LABEL_MAX = 63;
const AZURE_FORBIDDEN_KEY_CHARS = /[<>%&\\?/]/;
const AWS_ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/**
 * Most tags the design may render per cloud: AWS and Azure take 50 tags per resource, GCP 64 labels.
 * On AWS the GPU endpoint adds a `Name` tag to its Auto Scaling group, and on GCP provider 6.x adds
 * `goog-terraform-provisioned` (add_terraform_attribution_label), which leaves 49 and 63.
 */
export const MAX_TAGS: Readonly<Record<Cloud, number>> = { aws: 49, gcp: 63, azure: 50 };

/** Checks the rendered tags against each target cloud's rules. */
export function validateTags(tags: CostTagsDesign, clouds: readonly Cloud[], problems: Problems): void {
  const extra = tags.extra !== null && typeof tags.extra === 'object' && !Array.isArray(tags.extra) ? tags.extra : {};
  for (const key of Object.keys(extra)) {
    if ((REQUIRED_TAG_KEYS as readonly string[]).includes(key)) {
      problems.add(joinKey('tags.extra', key), `would replace the standard tag '${key}'; set it with ${designPathOf(key)} instead`);
    }
  }
  const rendered = renderTags({ ...tags, extra });
  for (const cloud of clouds) {
    const count = Object.keys(rendered).length;
    if (count > MAX_TAGS[cloud]) problems.add('tags.extra', `${cloud} takes at most ${MAX_TAGS[cloud]} tags from the design (got ${count}: the 4 standard tags and ${count - 4} extra)`);
  }
  const azureKeys = new Map<string, string>();
  for (const [key, value] of Object.entries(rendered)) {
    const path = designPathOf(key);
    if (typeof value !== 'string' || isToken(value)) continue;
    if (value.trim() === '' && (REQUIRED_TAG_KEYS as readonly string[]).includes(key)) problems.add(path, `must not be empty (got ${quote(value)})`);
    if (key.trim() === '') {
      problems.add(path, `key must not be empty (got ${quote(key)})`);
      continue;
    }
    if (key.startsWith('aws:') || key.startsWith('goog') || key.toLowerCase().startsWith('microsoft')) {
      problems.add(path, `key ${quote(key)} uses a prefix reserved by the cloud provider (aws:, goog, microsoft)`);
    }
    if (clouds.includes('aws')) {
      if (key.length > 128) problems.add(path, `AWS tag keys are at most 128 characters (got ${key.length})`);
      if (value.length > 256) problems.add(path, `AWS tag values are at most 256 characters (got ${value.length})`);
      if (!AWS_ALLOWED.test(key)) problems.add(path, `AWS tag keys allow letters, digits, spaces and _ . : / = + - @ only (got ${quote(key)})`);
      if (!AWS_ALLOWED.test(value)) problems.add(path, `AWS tag values allow letters, digits, spaces and _ . : / = + - @ only (got ${quote(value)})`);
    }
    if (clouds.includes('gcp')) {
      if (!GCP_LABEL_KEY.test(key)) {
        problems.add(path, `GCP label keys must start with a lowercase letter and hold only lowercase letters, digits, _ and -, at most 63 characters (got ${quote(key)})`);
      }
      if (value.length > GCP_LABEL_MAX) problems.add(path, `GCP label values are at most 63 characters (got ${value.length})`);
    }
    if (clouds.includes('azure')) {
      if (AZURE_FORBIDDEN_KEY_CHARS.test(key)) problems.add(path, `Azure tag keys must not contain < > % & \\ ? / (got ${quote(key)})`);
      if (key.length > 512) problems.add(path, `Azure tag keys are at most 512 characters (got ${key.length})`);
      if (value.length > 256) problems.add(path, `Azure tag values are at most 256 characters (got ${value.length})`);
      const other = azureKeys.get(key.toLowerCase());
      if (other !== undefined) problems.add(path, `Azure tag keys ignore case, so ${quote(key)} and ${quote(other)} are the same tag (${designPathOf(other)})`);
      else azureKeys.set(key.toLowerCase(), key);
    }
  }
}

/**
 * A tag value turned into a valid GCP label value: lowercase, and every character other than a
 * letter, digit, `_` or `-` replaced by `_`. Validation has already rejected values over 63 chars.
 */
export function toGcpLabelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^\p{Ll}\p{Lo}0-9_-]/gu, '_')
    .slice(0, GCP_LABEL_MAX);
}

/** Tags as GCP labels, with the original value of each label that had to change. */
export function gcpLabels(tags: CostTagsDesign): { labels: Record<string, string>; changed: Record<string, string> } {
  // Object.fromEntries defines own properties, so no key (not even `__proto__`) reaches a prototype.
  const entries = Object.entries(renderTags(tags));
  const labels: Record<string, string> = Object.fromEntries(entries.map(([key, value]) => [key, toGcpLabelValue(value)]));
  const changed: Record<string, string> = Object.fromEntries(entries.filter(([key, value]) => labels[key] !== value));
  return { labels, changed };
}
