// What a Guardrail tells its user at synth: acknowledgeable warnings about the design.
import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { GuardrailDesign } from '../../design/guardrails';
import { narrowerEntities } from './mapping';

/** A PII entity Bedrock detects in part only (id `ai-stack:guardrail-pii-narrower`). */
export function warnAboutEntities(scope: IConstruct, g: GuardrailDesign): void {
  const narrower = narrowerEntities(g);
  if (narrower.length === 0) return;
  Annotations.of(scope).addWarningV2(
    'ai-stack:guardrail-pii-narrower',
    `${narrower.map((n) => `${n.entity}: ${n.narrower}`).join('; ')}. Add a pattern of your own for the rest with an escape hatch (sensitiveInformationPolicyConfig.regexesConfig on the guardrail), or acknowledge this warning.`,
  );
}

/** The design has guardrails but no router to apply them (id `ai-stack:guardrail-no-router`). */
export function warnNoRouter(scope: IConstruct): void {
  Annotations.of(scope).addWarningV2(
    'ai-stack:guardrail-no-router',
    'the design has guardrails but no router: the guardrail is created, but nothing applies it. Add a router section, or call bedrock:ApplyGuardrail from your application with the Guardrail-Id and Guardrail-Version outputs (grantApply gives it the permission).',
  );
}
