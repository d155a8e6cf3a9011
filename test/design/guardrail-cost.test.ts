// The estimate's guardrail line: the cloud guard's calls on the prompt and answer of every request.
import { guardrailCostItems } from '../../lib/design/guardrail-cost';
import type { RouterDesign } from '../../lib/design/router';

const router = (provider: 'bedrock' | 'vertex' | 'azure-openai', model: string): RouterDesign =>
  ({
    models: [{ id: 'm', provider, model, ...(provider === 'bedrock' ? { region: 'us-east-1' } : {}) }],
    routes: [{ name: 'chat', targets: [{ model: 'm' }] }],
    tenants: [{ id: 't', monthlyBudgetUsd: 10 }],
    // 1,000 requests a day, 250 prompt tokens (1,000 characters) and 500 answer tokens (2,000 characters).
    traffic: [{ route: 'chat', requestsPerDay: 1000, avgInputTokens: 250, avgOutputTokens: 500 }],
  }) as RouterDesign;
const MONTH = 1000 * 30.4;

test('Bedrock: each policy in use per 1,000-character unit of prompt (1 unit) and answer (2 units)', () => {
  // content (on by default) $0.15 + PII (default entities) $0.10 per 1,000 units; no denied topics.
  const [line] = guardrailCostItems({}, router('bedrock', 'claude-3-5-haiku'), 'aws');
  expect(line.monthlyUsd).toBeCloseTo(MONTH * 3 * ((150_000 + 100_000) / 1e9), 6);
  const [withTopics] = guardrailCostItems({ deniedTopics: [{ name: 't', definition: 'd' }] }, router('bedrock', 'claude-3-5-haiku'), 'aws');
  expect(withTopics.monthlyUsd).toBeCloseTo(MONTH * 3 * ((150_000 + 150_000 + 100_000) / 1e9), 6);
});

test('Model Armor: per token of prompt and answer', () => {
  const [line] = guardrailCostItems({}, router('vertex', 'gemini-2-5-flash'), 'gcp');
  expect(line.monthlyUsd).toBeCloseTo(MONTH * 750 * (100 / 1e9), 6);
});

test('Content Safety: Prompt Shields and text analysis on each prompt record, analysis on each answer record', () => {
  const [line] = guardrailCostItems({}, router('azure-openai', 'gpt-4o-mini'), 'azure');
  expect(line.monthlyUsd).toBeCloseTo(MONTH * (1 * 2 * 380_000 + 2 * 380_000) / 1e9, 6);
});

test('no traffic on the cloud, no line', () => {
  expect(guardrailCostItems({}, router('vertex', 'gemini-2-5-flash'), 'aws')).toEqual([]);
});
