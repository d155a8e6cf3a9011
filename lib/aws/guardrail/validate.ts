// Validation of Guardrail props: one shape (the design's fields plus the AWS props), the neutral
// rules, AWS's rules (the same `ai-stack check` runs), then the props only the construct has.
// The design's index first: it loads the design before lib/aws/rules, which the design imports too.
import { guardrailShape, Problems, validateGuardrails, validateNamePrefix, type GuardrailDesign, type NamePrefixProps } from '../../design';
import { checkShape, extendShape, ref, str } from '../../design/shape';
import { awsRules } from '../rules';

export const awsGuardrailPropsShape = extendShape(guardrailShape, {
  namePrefix: str,
  kmsKey: ref('a kms.IKey'),
});

/**
 * Adds every problem of `props` to `problems`, each under `path`. The neutral rules name their paths
 * `guardrails.…`; a construct's are `props.…`. The section's route policies (`routes`) name routes of
 * the design's router, which a construct does not see: `AiStack` checks them with the design.
 */
export function validateAwsGuardrailProps(props: GuardrailDesign & NamePrefixProps & { readonly kmsKey?: unknown }, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, awsGuardrailPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  const neutral = new Problems();
  validateGuardrails(props, neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^guardrails(?=$|[.[])/, path), p.message);
  awsRules.guardrails?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
}
