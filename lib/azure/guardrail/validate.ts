// Validation of the Azure Guardrail's props: one shape (the design's guardrails fields plus the Azure
// props), the neutral guardrail rules, Azure's rules (the same `ai-stack check` runs), then the props
// only the construct has.
import { Token } from 'cdktf';
import { guardrailShape, validateGuardrails } from '../../design/guardrails';
import { validateNamePrefix } from '../../design/naming';
import { isToken, join, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, bool, checkShape, extendShape, str, type Shape } from '../../design/shape';
import { SUBNET_ID } from '../gpu-endpoint/validate';
import { azureRules } from '../rules';
import type { GuardrailProps } from '../guardrail';

/** The guardrails' design shape plus the Azure props: a misspelled prop is reported, not ignored. */
export const azureGuardrailPropsShape: Shape = extendShape(
  guardrailShape,
  { namePrefix: str, resourceGroupName: str, location: str, subnetIds: arrayOf(str), modifiedContentFilteringApproved: bool },
  ['resourceGroupName', 'location'],
);

const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));

/** Adds every problem of `props` under `path` (shape first: the rules assume it). */
export function validateAzureGuardrailProps(props: GuardrailProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, azureGuardrailPropsShape, path, problems);
  if (problems.count > before) return;
  // The neutral rules report under `guardrails`; a construct's props are `path`.
  const neutral = new Problems();
  validateGuardrails(props, neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^guardrails(?=$|[.[])/, path), p.message);
  azureRules.guardrails?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (!unresolved(value) && value.trim() === '') problems.add(join(path, key), 'must not be empty');
  }
  if (!unresolved(props.subnetIds)) {
    (props.subnetIds ?? []).forEach((s, i) => {
      if (!unresolved(s) && !SUBNET_ID.test(s)) {
        problems.add(join(join(path, 'subnetIds'), i), `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got ${quote(s)})`);
      }
    });
  }
}
