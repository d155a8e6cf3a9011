// Validation of the Google Cloud Budget's props: one shape (the design's budget fields plus the GCP
// props), the neutral budget rules, GCP's budget rules (the same `ai-stack check` runs once gcp.AiStack
// builds the budget), then the props only the construct has.
import { existsSync, statSync } from 'node:fs';
import { budgetShape, validateBudget } from '../../design/budget';
import { validateNamePrefix } from '../../design/naming';
import { isToken, join, joinKey, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, bool, checkShape, extendShape, obj, recordOf, ref, str, type Shape } from '../../design/shape';
import type { BudgetProps } from '../budget';
import { budgetRulesOnGcp, validateBudgetNamePrefix } from './rules';

/** The budget's design shape plus the GCP props: unknown (e.g. misspelled) props are reported, not ignored. */
export const gcpBudgetPropsShape: Shape = extendShape(
  budgetShape,
  {
    namePrefix: str,
    region: str,
    project: str,
    labels: recordOf(str),
    costLabel: str,
    scopeToProject: bool,
    router: ref('the router whose ledger the stop function writes (budgetRouterOf(router), or an IBudgetRouter)'),
    endpoints: arrayOf(ref('a GPU endpoint (a gcp.GpuEndpoint, or an object with groups)')),
    fleets: arrayOf(obj({ group: str, autoscaler: str }, ['group'])),
    image: str,
    bundlePath: str,
    operatorMembers: arrayOf(str),
  },
  ['region', 'labels'],
);

const REGION = /^[a-z]+-[a-z]+\d+$/;
const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A managed instance group as the stop function and IAM name it (a self link is accepted and trimmed). */
export const GROUP_PATH = /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\/)?projects\/[^/\s]+\/(zones|regions)\/[^/\s]+\/instanceGroupManagers\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
export const AUTOSCALER_PATH = /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\/)?projects\/[^/\s]+\/(zones|regions)\/[^/\s]+\/autoscalers\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const MEMBER = /^(user|group|serviceAccount|domain|principal|principalSet):\S+$/;

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);

/**
 * Checks the props of a GCP Budget: shape, the neutral budget rules, GCP's budget rules, then the
 * props only the construct has. Every problem is collected under `path`; the caller throws them together.
 */
export function validateGcpBudgetProps(props: BudgetProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpBudgetPropsShape, path, problems);
  if (problems.count > before) return; // semantic rules assume the shape
  // The neutral rules report under `budget`; a construct's props are `path`.
  const neutral = new Problems();
  validateBudget(props, neutral);
  // Messages name other fields by path too (a duplicate's first place): both become the props'.
  const local = (text: string) => text.replace(/(^|\(also )budget(?=$|[.[])/g, `$1${path}`);
  for (const p of neutral.all) problems.add(local(p.path), local(p.message));
  budgetRulesOnGcp(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  if (props.router) validateBudgetNamePrefix(props.namePrefix, join(path, 'namePrefix'), problems);
  validateOverrides(props, path, problems);
}

function validateOverrides(p: BudgetProps, path: string, problems: Problems): void {
  if (literal(p.region) && !REGION.test(p.region)) problems.add(join(path, 'region'), `must be a Google Cloud region such as 'us-central1' (got ${quote(p.region)})`);
  if (literal(p.project) && !PROJECT.test(p.project)) {
    problems.add(join(path, 'project'), `must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (got ${quote(p.project)})`);
  }
  const key = p.costLabel;
  if (literal(key) && !isToken(p.labels) && p.labels[key] === undefined) {
    problems.add(join(path, 'costLabel'), `must be one of the stack's cost labels (${Object.keys(p.labels).map((k) => quote(k)).join(', ') || 'none given'}): the budget filters by its value (got ${quote(key)})`);
  }
  if (key === undefined && !isToken(p.labels) && p.labels.application === undefined) {
    problems.add(join(path, 'labels'), "must hold the 'application' cost label the budget filters by, or name another of its labels as costLabel");
  }
  p.fleets?.forEach((f, i) => {
    const at = join(join(path, 'fleets'), i);
    if (literal(f.group) && !GROUP_PATH.test(f.group)) {
      problems.add(join(at, 'group'), `must be a managed instance group, 'projects/<p>/regions/<r>/instanceGroupManagers/<name>' (or zones/<z>) or its self link (got ${quote(f.group)})`);
    }
    if (literal(f.autoscaler) && !AUTOSCALER_PATH.test(f.autoscaler)) {
      problems.add(join(at, 'autoscaler'), `must be the group's autoscaler, 'projects/<p>/regions/<r>/autoscalers/<name>' (or zones/<z>) or its self link (got ${quote(f.autoscaler)})`);
    }
  });
  p.operatorMembers?.forEach((m, i) => {
    if (literal(m) && !MEMBER.test(m)) problems.add(join(join(path, 'operatorMembers'), i), `must be an IAM member such as 'user:oncall@example.com' or 'group:ops@example.com' (got ${quote(m)})`);
  });
  if (literal(p.image) && (p.image.trim() === '' || /\s/.test(p.image))) problems.add(join(path, 'image'), `must be a container image reference with node 22 or later on its PATH (got ${quote(p.image)})`);
  if (p.bundlePath !== undefined) {
    if (!literal(p.bundlePath)) problems.add(join(path, 'bundlePath'), 'must be a literal path: the file is read and hashed at synth');
    else if (!existsSync(p.bundlePath) || !statSync(p.bundlePath).isFile()) problems.add(join(path, 'bundlePath'), `must be the stop function bundle file (dist/budget/gcp/index.js of 'npm run build:router'); nothing is at ${quote(p.bundlePath)}`);
  }
  for (const [k, v] of Object.entries(isToken(p.labels) ? {} : p.labels)) {
    if (literal(v) && v.trim() === '') problems.add(joinKey(join(path, 'labels'), k), 'must not be empty');
  }
}
