// What `ai-stack check` must know of the guardrails on AWS. Pure: no aws-cdk-lib.
import type { GuardrailDesign } from '../../design/guardrails';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { BEDROCK_PII_ENTITIES, bedrockPolicies, filtersNothing } from './mapping';

/** CloudFormation resources of a guardrail: the guardrail and its published version. */
export const GUARDRAIL_RESOURCES = 2;

const isEntry = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rules AWS adds to the neutral guardrail rules, with `path` the section's path (`guardrails`, or `props`). */
export function validateGuardrailsOnAws(g: GuardrailDesign, path: string, problems: Problems): void {
  const before = problems.count;
  // Each word, topic and entity becomes its own entry of the Bedrock guardrail at synth, so their
  // lists must be literal (a token inside a list, such as one word, is fine).
  const lists: [string, unknown][] = [
    ['deniedTopics', g.deniedTopics],
    ['blockedWords', g.blockedWords],
  ];
  if (isEntry(g.pii)) lists.push(['pii.entities', g.pii.entities]);
  for (const [field, value] of lists) {
    if (Array.isArray(value) && isToken(value)) {
      problems.add(join(path, field), 'must be a literal list, not an unresolved token: each entry becomes its own filter of the Bedrock guardrail at synth. Pass the list itself (its entries may be tokens)');
    }
  }
  if (g.profanity !== undefined && isToken(g.profanity)) {
    problems.add(join(path, 'profanity'), 'must be true or false as a literal: it decides at synth whether the Bedrock guardrail gets the managed profanity list');
  }
  const entities = isEntry(g.pii) && Array.isArray(g.pii.entities) && !isToken(g.pii.entities) ? g.pii.entities : [];
  entities.forEach((e, i) => {
    const mapping = typeof e === 'string' && !isToken(e) && Object.hasOwn(BEDROCK_PII_ENTITIES, e) ? (BEDROCK_PII_ENTITIES as Readonly<Record<string, { bedrock: string | undefined } | undefined>>)[e] : undefined;
    if (mapping !== undefined && mapping.bedrock === undefined) {
      problems.add(join(join(join(path, 'pii'), 'entities'), i), `${quote(e)} has no Amazon Bedrock PII entity type, so the AWS guardrail cannot detect it; remove it, or leave aws out of the design`);
    }
  });
  if (problems.count > before) return;
  // A section of the wrong shape is the shape check's to report.
  const shaped = [g.deniedTopics, g.blockedWords].every((l) => l === undefined || Array.isArray(l)) && (g.pii === undefined || isEntry(g.pii)) && (g.content === undefined || isEntry(g.content));
  if (shaped && filtersNothing(bedrockPolicies(g))) {
    problems.add(
      path,
      'filters nothing on AWS: every content category and promptAttack is none, and there are no denied topics, blocked words, profanity list or PII entities. Amazon Bedrock refuses a guardrail without a policy; turn one filter on, or remove the guardrails section',
    );
  }
}
