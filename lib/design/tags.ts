import type { Cloud } from './cloud';
import { join, Problems } from './problems';
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
  return standard[key] ?? join('tags.extra', key);
}

const GCP_LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const GCP_LABEL_MAX = 63;
const AZURE_FORBIDDEN_KEY_CHARS = /[<>%&\\?/]/;
const AWS_ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Checks the rendered tags against each target cloud's rules. */
export function validateTags(tags: CostTagsDesign, clouds: readonly Cloud[], problems: Problems): void {
  for (const [key, value] of Object.entries(renderTags(tags))) {
    const path = designPathOf(key);
    if (typeof value !== 'string') continue;
    if (value.trim() === '' && (REQUIRED_TAG_KEYS as readonly string[]).includes(key)) problems.add(path, 'must not be empty');
    if (key.startsWith('aws:') || key.startsWith('goog') || key.toLowerCase().startsWith('microsoft')) {
      problems.add(path, `key '${key}' uses a prefix reserved by the cloud provider (aws:, goog, microsoft)`);
    }
    if (clouds.includes('aws')) {
      if (key.length > 128) problems.add(path, `AWS tag keys are at most 128 characters (got ${key.length})`);
      if (value.length > 256) problems.add(path, `AWS tag values are at most 256 characters (got ${value.length})`);
      if (!AWS_ALLOWED.test(key) || !AWS_ALLOWED.test(value)) {
        problems.add(path, `AWS tags allow letters, digits, spaces and _ . : / = + - @ only (got '${key}: ${value}')`);
      }
    }
    if (clouds.includes('gcp')) {
      if (!GCP_LABEL_KEY.test(key)) {
        problems.add(path, `GCP label keys must start with a lowercase letter and hold only lowercase letters, digits, _ and -, at most 63 characters (got '${key}')`);
      }
      if (value.length > GCP_LABEL_MAX) problems.add(path, `GCP label values are at most 63 characters (got ${value.length})`);
    }
    if (clouds.includes('azure')) {
      if (AZURE_FORBIDDEN_KEY_CHARS.test(key)) problems.add(path, `Azure tag keys must not contain < > % & \\ ? / (got '${key}')`);
      if (key.length > 512) problems.add(path, `Azure tag keys are at most 512 characters (got ${key.length})`);
      if (value.length > 256) problems.add(path, `Azure tag values are at most 256 characters (got ${value.length})`);
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
  const labels: Record<string, string> = {};
  const changed: Record<string, string> = {};
  for (const [key, value] of Object.entries(renderTags(tags))) {
    labels[key] = toGcpLabelValue(value);
    if (labels[key] !== value) changed[key] = value;
  }
  return { labels, changed };
}
