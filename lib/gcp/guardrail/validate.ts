// Validation of the Google Cloud Guardrail's props: one shape (the design's guardrails fields plus the
// GCP props), the neutral guardrail rules, GCP's rules (the same `ai-stack check` runs), then the
// props only the construct has.
import { guardrailShape, validateGuardrails } from '../../design/guardrails';
import { validateNamePrefix } from '../../design/naming';
import { isToken, join, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { bool, checkShape, extendShape, str, type Shape } from '../../design/shape';
import { gcpRules } from '../rules';
import type { GuardrailProps } from '../guardrail';

/** The guardrails' design shape plus the GCP props: a misspelled prop is reported, not ignored. */
export const gcpGuardrailPropsShape: Shape = extendShape(guardrailShape, { namePrefix: str, location: str, project: str, multiLanguageDetection: bool }, ['location']);

/** A Google Cloud region, or one of Model Armor's multi-regions. */
const LOCATION = /^([a-z]+-[a-z]+\d+|us|eu)$/;
const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);

/** Adds every problem of `props` under `path` (shape first: the rules assume it). */
export function validateGcpGuardrailProps(props: GuardrailProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpGuardrailPropsShape, path, problems);
  if (problems.count > before) return;
  // The neutral rules report under `guardrails`; a construct's props are `path`.
  const neutral = new Problems();
  validateGuardrails(props, neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^guardrails(?=$|[.[])/, path), p.message);
  gcpRules.guardrails?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  if (literal(props.location) && !LOCATION.test(props.location)) {
    problems.add(join(path, 'location'), `must be a Model Armor location: a Google Cloud region such as 'us-central1', or 'us' or 'eu' (got ${quote(props.location)})`);
  }
  if (literal(props.project) && !PROJECT.test(props.project)) {
    problems.add(join(path, 'project'), `must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (got ${quote(props.project)})`);
  }
}
