import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, Lazy, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiStack } from '../../lib/aws/ai-stack';
import { APPLY_GUARDRAIL_ACTION, BEDROCK_PII_ENTITIES, Guardrail, type GuardrailProps, type IRouterGuardrail } from '../../lib/aws/guardrail';
import { ModelRouter, type ModelRouterProps } from '../../lib/aws/model-router';
import { stackResourceCount } from '../../lib/aws/rules';
import { routerBundleDir } from '../../lib/common/router-bundle';
import { collectProblems, isDeployed, PII_ENTITIES, type AiStackDesign, type PiiEntity } from '../../lib/design';
import { deployedRouterConfig } from '../../lib/router/deployed-config';
import { ROUTER_ENV } from '../../lib/router/deploy-env';
import { exampleDesign } from '../examples/synth-example';
import { bareDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * Bedrock's PII entity types: `GuardrailPiiEntityConfig.type` in the Amazon Bedrock API reference
 * (the same list is the CloudFormation `PiiEntityConfig.Type`).
 */
const BEDROCK_PII_TYPES = [
  'ADDRESS', 'AGE', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'CA_HEALTH_NUMBER', 'CA_SOCIAL_INSURANCE_NUMBER', 'CREDIT_DEBIT_CARD_CVV', 'CREDIT_DEBIT_CARD_EXPIRY',
  'CREDIT_DEBIT_CARD_NUMBER', 'DRIVER_ID', 'EMAIL', 'INTERNATIONAL_BANK_ACCOUNT_NUMBER', 'IP_ADDRESS', 'LICENSE_PLATE', 'MAC_ADDRESS', 'NAME', 'PASSWORD', 'PHONE', 'PIN',
  'SWIFT_CODE', 'UK_NATIONAL_HEALTH_SERVICE_NUMBER', 'UK_NATIONAL_INSURANCE_NUMBER', 'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER', 'URL', 'USERNAME', 'US_BANK_ACCOUNT_NUMBER',
  'US_BANK_ROUTING_NUMBER', 'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER', 'US_PASSPORT_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'VEHICLE_IDENTIFICATION_NUMBER',
];

type Resource = { Type: string; Properties: Record<string, any> };

function build(props: GuardrailProps = {}, configure?: (stack: Stack) => Partial<GuardrailProps>, extra?: (stack: Stack, g: Guardrail) => void) {
  const stack = new Stack(new App(), 'S', { env: ENV });
  const guardrail = new Guardrail(stack, 'Guardrail', { ...props, ...configure?.(stack) });
  extra?.(stack, guardrail);
  const template = Template.fromStack(stack);
  return { stack, guardrail, template, props: only(template, 'AWS::Bedrock::Guardrail').Properties };
}

function only(template: Template, type: string): Resource {
  const found = Object.values(template.findResources(type)) as Resource[];
  expect(found).toHaveLength(1);
  return found[0];
}

/** The guardrail version resource: its logical id and properties. */
function versionOf(template: Template): { id: string; description: string } {
  const [[id, r]] = Object.entries(template.findResources('AWS::Bedrock::GuardrailVersion')) as [string, Resource][];
  return { id, description: r.Properties.Description };
}

const filters = (p: Record<string, any>) => Object.fromEntries((p.ContentPolicyConfig?.FiltersConfig ?? []).map((f: any) => [f.Type, [f.InputStrength, f.OutputStrength]]));

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  return (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[])
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const routerProps: ModelRouterProps = {
  models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
  routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
  tenants: [{ id: 'team-a', monthlyBudgetUsd: 100 }],
};

type FunctionResource = { Properties: { Description?: string; Environment: { Variables: Record<string, unknown> }; Role: unknown } };
function routerFunction(template: Template): FunctionResource {
  // The router's function (a budget adds its stop function beside it).
  const fns = (Object.values(template.findResources('AWS::Lambda::Function')) as FunctionResource[]).filter((f) => f.Properties.Description?.startsWith('Model router'));
  expect(fns).toHaveLength(1);
  return fns[0];
}

describe('Guardrail (AWS): content filters', () => {
  test('by default every category at HIGH on prompts and answers, and the prompt-attack filter at HIGH on prompts only', () => {
    const { props } = build();
    expect(filters(props)).toEqual({
      HATE: ['HIGH', 'HIGH'],
      INSULTS: ['HIGH', 'HIGH'],
      SEXUAL: ['HIGH', 'HIGH'],
      VIOLENCE: ['HIGH', 'HIGH'],
      MISCONDUCT: ['HIGH', 'HIGH'],
      PROMPT_ATTACK: ['HIGH', 'NONE'],
    });
  });

  test('each category takes the design\'s strength on input and output; none leaves it out', () => {
    const { props } = build({ content: { hate: 'low', insults: 'medium', sexual: 'none', violence: 'high', misconduct: 'low' }, promptAttack: 'medium' });
    expect(filters(props)).toEqual({
      HATE: ['LOW', 'LOW'],
      INSULTS: ['MEDIUM', 'MEDIUM'],
      VIOLENCE: ['HIGH', 'HIGH'],
      MISCONDUCT: ['LOW', 'LOW'],
      PROMPT_ATTACK: ['MEDIUM', 'NONE'],
    });
  });

  test.each(['low', 'medium', 'high'] as const)('PROMPT_ATTACK at %s has output strength NONE, the only one CloudFormation accepts', (strength) => {
    const { props } = build({ promptAttack: strength });
    expect(filters(props).PROMPT_ATTACK).toEqual([strength.toUpperCase(), 'NONE']);
  });

  test('promptAttack none leaves the prompt-attack filter out; no filter at all leaves the content policy out', () => {
    expect(filters(build({ promptAttack: 'none' }).props).PROMPT_ATTACK).toBeUndefined();
    const { props } = build({ promptAttack: 'none', content: { hate: 'none', insults: 'none', sexual: 'none', violence: 'none', misconduct: 'none' }, blockedWords: ['x'] });
    expect(props.ContentPolicyConfig).toBeUndefined();
  });
});

describe('Guardrail (AWS): topics, words, PII, messages', () => {
  test('each denied topic is a DENY topic with its definition and examples', () => {
    const { props } = build({
      deniedTopics: [
        { name: 'legal-advice', definition: 'Requests for legal advice.', examples: ['Can I sue?', 'Is this legal?'] },
        { name: 'stocks', definition: 'Stock picks.' },
      ],
    });
    expect(props.TopicPolicyConfig).toEqual({
      TopicsConfig: [
        { Name: 'legal-advice', Definition: 'Requests for legal advice.', Examples: ['Can I sue?', 'Is this legal?'], Type: 'DENY' },
        { Name: 'stocks', Definition: 'Stock picks.', Type: 'DENY' },
      ],
    });
    expect(build().props.TopicPolicyConfig).toBeUndefined();
  });

  test('blocked words, each once, and the managed profanity list by default', () => {
    const { props } = build({ blockedWords: ['falcon', 'Falcon', 'falcon'] });
    expect(props.WordPolicyConfig).toEqual({ WordsConfig: [{ Text: 'falcon' }, { Text: 'Falcon' }], ManagedWordListsConfig: [{ Type: 'PROFANITY' }] });
  });

  test('profanity false drops the managed list; with no words either, the word policy goes', () => {
    expect(build({ profanity: false, blockedWords: ['falcon'] }).props.WordPolicyConfig).toEqual({ WordsConfig: [{ Text: 'falcon' }] });
    expect(build({ profanity: false }).props.WordPolicyConfig).toBeUndefined();
    expect(build({ profanity: true }).props.WordPolicyConfig).toEqual({ ManagedWordListsConfig: [{ Type: 'PROFANITY' }] });
  });

  const expectedType: Record<PiiEntity, string> = {
    EMAIL: 'EMAIL',
    PHONE: 'PHONE',
    NAME: 'NAME',
    ADDRESS: 'ADDRESS',
    CREDIT_DEBIT_CARD_NUMBER: 'CREDIT_DEBIT_CARD_NUMBER',
    US_SOCIAL_SECURITY_NUMBER: 'US_SOCIAL_SECURITY_NUMBER',
    IP_ADDRESS: 'IP_ADDRESS',
    IBAN: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
    PASSPORT_NUMBER: 'US_PASSPORT_NUMBER',
  };

  test.each(PII_ENTITIES.flatMap((e) => [[e, 'mask', 'ANONYMIZE'], [e, 'block', 'BLOCK']] as const))('PII %s with %s: Bedrock type and action %s on input and output', (entity, action, bedrockAction) => {
    const { props } = build({ pii: { action, entities: [entity] } });
    expect(props.SensitiveInformationPolicyConfig).toEqual({
      PiiEntitiesConfig: [{ Type: expectedType[entity], Action: bedrockAction, InputAction: bedrockAction, OutputAction: bedrockAction }],
    });
  });

  test('every design entity maps to a type Bedrock has', () => {
    for (const e of PII_ENTITIES) expect(BEDROCK_PII_TYPES).toContain(BEDROCK_PII_ENTITIES[e].bedrock);
  });

  test('by default email, phone, card, SSN and IP address are masked; no entities, no sensitive-information policy', () => {
    const { props } = build();
    expect(props.SensitiveInformationPolicyConfig.PiiEntitiesConfig.map((e: any) => [e.Type, e.Action])).toEqual([
      ['EMAIL', 'ANONYMIZE'],
      ['PHONE', 'ANONYMIZE'],
      ['CREDIT_DEBIT_CARD_NUMBER', 'ANONYMIZE'],
      ['US_SOCIAL_SECURITY_NUMBER', 'ANONYMIZE'],
      ['IP_ADDRESS', 'ANONYMIZE'],
    ]);
    expect(build({ pii: { entities: [] } }).props.SensitiveInformationPolicyConfig).toBeUndefined();
  });

  test('PASSPORT_NUMBER warns that Bedrock detects US passports only; the default entities do not warn', () => {
    const { stack } = build({ pii: { entities: ['EMAIL', 'PASSPORT_NUMBER'] } });
    Annotations.fromStack(stack).hasWarning('/S/Guardrail', Match.stringLikeRegexp('PASSPORT_NUMBER: Bedrock detects US passport numbers only.*\\[ack: ai-stack:guardrail-pii-narrower\\]'));
    expect(Annotations.fromStack(build().stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('the design\'s blocked message is returned for blocked prompts and answers', () => {
    expect(build().props).toMatchObject({ BlockedInputMessaging: 'This request was blocked by the content policy.', BlockedOutputsMessaging: 'This request was blocked by the content policy.' });
    expect(build({ blockedMessage: 'Not here.' }).props).toMatchObject({ BlockedInputMessaging: 'Not here.', BlockedOutputsMessaging: 'Not here.' });
  });

  test('named after the prefix and the construct id; Bedrock\'s owned key unless a key is given', () => {
    expect(build({ namePrefix: 'support-ai' }).props.Name).toBe('support-ai-guardrail');
    expect(build().props.KmsKeyArn).toBeUndefined();
    const { props, stack } = build({}, (s) => ({ kmsKey: new kms.Key(s, 'Key', { enableKeyRotation: true }) }));
    expect(props.KmsKeyArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(stack.node.findChild('Key').node.defaultChild as kms.CfnKey), 'Arn'] });
  });

  test('the router policy fields of the section are accepted and build nothing', () => {
    const plain = build({ blockedWords: ['x'] });
    const withPolicy = build({ blockedWords: ['x'], failMode: 'open', parallel: true, streamWindowChars: 800, timeoutMs: 1500 } as GuardrailProps);
    expect(withPolicy.template.toJSON()).toEqual(plain.template.toJSON());
  });
});

describe('Guardrail (AWS): the published version changes exactly when the definition does', () => {
  test('the version snapshots this guardrail', () => {
    const { template, stack, guardrail } = build();
    const version = only(template, 'AWS::Bedrock::GuardrailVersion');
    expect(version.Properties.GuardrailIdentifier).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailId'] });
    expect(version.Properties.Description).toMatch(/^Definition sha256:[0-9a-f]{32} /);
    expect(version.Properties.Description.length).toBeLessThanOrEqual(200);
    expect(stack.resolve(guardrail.guardrailVersion)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(guardrail.version), 'Version'] });
  });

  const design: GuardrailProps = { deniedTopics: [{ name: 'stocks', definition: 'Stock picks.' }], blockedWords: ['falcon'] };

  test('the same design twice: the same version resource', () => {
    expect(versionOf(build(design).template)).toEqual(versionOf(build(design).template));
  });

  test.each<[string, GuardrailProps]>([
    ['a changed word', { ...design, blockedWords: ['eagle'] }],
    ['one more word', { ...design, blockedWords: ['falcon', 'eagle'] }],
    ['a changed strength', { ...design, content: { hate: 'medium' } }],
    ['a changed topic definition', { ...design, deniedTopics: [{ name: 'stocks', definition: 'Stock tips.' }] }],
    ['a changed PII action', { ...design, pii: { action: 'block' } }],
    ['a changed blocked message', { ...design, blockedMessage: 'No.' }],
  ])('%s: a new version (its description changes, which CloudFormation applies by replacement)', (_label, changed) => {
    const before = versionOf(build(design).template);
    const after = versionOf(build(changed).template);
    expect(after.description).not.toBe(before.description);
    // The construct id stays: the replacement is CloudFormation's, the logical id is public API.
    expect(after.id).toBe(before.id);
  });

  test('a change elsewhere in the stack, a tag or a router-policy field: the same version', () => {
    const before = versionOf(build(design).template);
    const elsewhere = build(design, undefined, (s) => new sqs.Queue(s, 'Other', { enforceSSL: true }));
    expect(versionOf(elsewhere.template)).toEqual(before);
    const tagged = build(design, undefined, (s) => Tags.of(s).add('team', 'another'));
    expect(only(tagged.template, 'AWS::Bedrock::Guardrail').Properties.Tags).toEqual([{ Key: 'team', Value: 'another' }]);
    expect(versionOf(tagged.template)).toEqual(before);
    expect(versionOf(build({ ...design, timeoutMs: 5000 } as GuardrailProps).template)).toEqual(before);
  });

  test('an escape-hatch override of the guardrail publishes a new version too', () => {
    const before = versionOf(build(design).template);
    const overridden = build(design, undefined, (_s, g) => g.guardrail.addPropertyOverride('SensitiveInformationPolicyConfig.RegexesConfig', [{ Name: 'passport', Pattern: '[A-Z][0-9]{8}', Action: 'BLOCK' }]));
    expect(versionOf(overridden.template).description).not.toBe(before.description);
  });
});

describe('Guardrail (AWS): grantApply and the router environment', () => {
  test('grantApply: bedrock:ApplyGuardrail on exactly this guardrail\'s ARN', () => {
    const { template, stack, guardrail } = build({}, undefined, (s, g) => g.grantApply(new iam.Role(s, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') })));
    expect(statementsOf(template, 'App')).toEqual([{ Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailArn'] } }]);
  });

  test('with a customer key, grantApply adds kms:Decrypt on that key', () => {
    const { template, stack } = build({}, (s) => ({ kmsKey: new kms.Key(s, 'Key', { enableKeyRotation: true }) }), (s, g) => g.grantApply(new iam.Role(s, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') })));
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.node.findChild('Key').node.defaultChild as kms.CfnKey), 'Arn'] };
    expect(statementsOf(template, 'App').map((s) => [s.Action, s.Resource])).toEqual([
      [APPLY_GUARDRAIL_ACTION, expect.anything()],
      ['kms:Decrypt', keyArn],
    ]);
  });

  test('routerEnvironment: guard kind bedrock, the guardrail id and the published version', () => {
    const { stack, guardrail } = build();
    expect(stack.resolve(guardrail.routerEnvironment)).toEqual({
      [ROUTER_ENV.guardKind]: 'bedrock',
      [ROUTER_ENV.bedrockGuardrailId]: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailId'] },
      [ROUTER_ENV.bedrockGuardrailVersion]: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.version), 'Version'] },
    });
  });

  test('a standalone ModelRouter with a Guardrail: the variables on the function, ApplyGuardrail on its role', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const guardrail = new Guardrail(stack, 'Guardrail', {});
    new ModelRouter(stack, 'Router', { ...routerProps, guardrail });
    const template = Template.fromStack(stack);
    expect(routerFunction(template).Properties.Environment.Variables).toMatchObject({
      [ROUTER_ENV.guardKind]: 'bedrock',
      [ROUTER_ENV.bedrockGuardrailId]: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailId'] },
      [ROUTER_ENV.bedrockGuardrailVersion]: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.version), 'Version'] },
    });
    const apply = statementsOf(template, 'RouterRole').filter((s) => [s.Action].flat().includes(APPLY_GUARDRAIL_ACTION));
    expect(apply).toEqual([{ Action: APPLY_GUARDRAIL_ACTION, Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailArn'] } }]);
  });

  test('the router\'s config carries the guardrail\'s section for its guard stage; without a guardrail it has none', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const guardrail = new Guardrail(stack, 'Guardrail', { blockedWords: ['falcon'], failMode: 'open', kmsKey: undefined } as GuardrailProps);
    expect(guardrail.design).toEqual({ blockedWords: ['falcon'], failMode: 'open' });
    const router = new ModelRouter(stack, 'Router', { ...routerProps, guardrail });
    const expected = deployedRouterConfig({ name: 's', region: { aws: 'us-east-1' }, tags: {}, router: routerProps, guardrails: guardrail.design } as unknown as AiStackDesign, 'aws', 1);
    expect(router.config.guard).toEqual(JSON.parse(JSON.stringify(expected.guard)));
    expect(router.config.guard).toBeDefined();
    expect(new ModelRouter(stack, 'Plain', routerProps).config.guard).toBeUndefined();
  });

  test('a guardrail\'s section is checked with the router: its route policies name routes of this router', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const guardrail = new Guardrail(stack, 'Guardrail', { routes: { support: { output: false } } } as GuardrailProps);
    const error = designErrorOf(() => new ModelRouter(stack, 'Router', { ...routerProps, guardrail }));
    expect(error.problems.map((p) => p.path)).toEqual(['props.guardrail.design.routes.support']);
    expect(new ModelRouter(stack, 'Ok', { ...routerProps, routes: [{ name: 'support', targets: [{ model: 'haiku' }] }], guardrail }).config.guard).toBeDefined();
  });

  test('a router without a guardrail gets neither', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    new ModelRouter(stack, 'Router', routerProps);
    const template = Template.fromStack(stack);
    expect(Object.keys(routerFunction(template).Properties.Environment.Variables).filter((k) => k.startsWith('AI_STACK_GUARD'))).toEqual([]);
    expect(JSON.stringify(statementsOf(template, 'RouterRole'))).not.toContain('ApplyGuardrail');
  });

  test('bring your own guardrail: any IRouterGuardrail, its variables and its grant', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456';
    const own: IRouterGuardrail = {
      routerEnvironment: { [ROUTER_ENV.guardKind]: 'bedrock', [ROUTER_ENV.bedrockGuardrailId]: 'abc123def456', [ROUTER_ENV.bedrockGuardrailVersion]: '7' },
      grantApply: (grantee) => iam.Grant.addToPrincipal({ grantee, actions: [APPLY_GUARDRAIL_ACTION], resourceArns: [arn] }),
    };
    new ModelRouter(stack, 'Router', { ...routerProps, guardrail: own });
    const template = Template.fromStack(stack);
    expect(routerFunction(template).Properties.Environment.Variables).toMatchObject({ AI_STACK_GUARD_KIND: 'bedrock', AI_STACK_GUARD_BEDROCK_ID: 'abc123def456', AI_STACK_GUARD_BEDROCK_VERSION: '7' });
    expect(statementsOf(template, 'RouterRole')).toContainEqual({ Action: APPLY_GUARDRAIL_ACTION, Effect: 'Allow', Resource: arn });
    template.resourceCountIs('AWS::Bedrock::Guardrail', 0);
  });

  test('a guardrail may set the guard variables only, with a guard kind the router knows', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const bad = (routerEnvironment: Record<string, string>): IRouterGuardrail => ({ routerEnvironment, grantApply: (grantee) => iam.Grant.addToPrincipal({ grantee, actions: [APPLY_GUARDRAIL_ACTION], resourceArns: ['*'] }) });
    const error = designErrorOf(() => new ModelRouter(stack, 'Router', { ...routerProps, guardrail: bad({ [ROUTER_ENV.config]: '/tmp/evil.json', [ROUTER_ENV.guardKind]: 'lakera' }) }));
    expect(error.problems.map((p) => p.path)).toEqual(['props.guardrail.routerEnvironment.AI_STACK_ROUTER_CONFIG', 'props.guardrail.routerEnvironment.AI_STACK_GUARD_KIND']);
    expect(error.problems[1].message).toBe("must be one of bedrock, model-armor, content-safety (got 'lakera')");
    const missing = designErrorOf(() => new ModelRouter(new Stack(new App(), 'T', { env: ENV }), 'Router', { ...routerProps, guardrail: bad({ [ROUTER_ENV.bedrockGuardrailId]: 'x' }) }));
    expect(missing.problems).toEqual([{ path: 'props.guardrail.routerEnvironment', message: expect.stringMatching(/^must set AI_STACK_GUARD_KIND/) }]);
    const notOne = designErrorOf(() => new ModelRouter(new Stack(new App(), 'U', { env: ENV }), 'Router', { ...routerProps, guardrail: 'abc' as never }));
    expect(notOne.problems.map((p) => p.path)).toEqual(['props.guardrail']);
  });

  test('the shipped router bundle reads the guard variables the construct sets', () => {
    const bundle = readFileSync(join(routerBundleDir('aws'), 'index.js'), 'utf8');
    for (const variable of [ROUTER_ENV.guardKind, ROUTER_ENV.bedrockGuardrailId, ROUTER_ENV.bedrockGuardrailVersion]) expect({ variable, read: bundle.includes(variable) }).toEqual({ variable, read: true });
  });
});

describe('Guardrail (AWS): invalid props, each with its path', () => {
  const errorOf = (props: unknown) => designErrorOf(() => new Guardrail(new Stack(new App(), 'S', { env: ENV }), 'Guardrail', props as GuardrailProps));

  test.each<[string, unknown, string, RegExp]>([
    ['a misspelled prop', { blockWords: ['x'] }, 'props.blockWords', /did you mean 'blockedWords'/],
    ['a strength that is not one', { content: { hate: 'extreme' } }, 'props.content.hate', /must be one of none, low, medium, high/],
    ['a key that is not a key', { kmsKey: 'alias/mine' }, 'props.kmsKey', /must be a kms\.IKey/],
    ['a definition over 200 characters', { deniedTopics: [{ name: 'x', definition: 'd'.repeat(201) }] }, 'props.deniedTopics[0].definition', /at most 200 characters/],
    ['a blocked message over 500 characters', { blockedMessage: 'm'.repeat(501) }, 'props.blockedMessage', /at most 500 characters/],
    ['a bad name prefix', { namePrefix: 'Support' }, 'props.namePrefix', /lowercase/],
    ['a token list of words', { blockedWords: Lazy.list({ produce: () => ['x'] }) }, 'props.blockedWords', /must be a literal list.*its entries may be tokens/],
    ['a token list of entities', { pii: { entities: Lazy.list({ produce: () => ['EMAIL'] }) } }, 'props.pii.entities', /must be a literal list/],
    ['a token list of topics', { deniedTopics: Lazy.list({ produce: () => [] }) }, 'props.deniedTopics', /must be a literal list/],
    [
      'a guardrail that filters nothing',
      { promptAttack: 'none', content: { hate: 'none', insults: 'none', sexual: 'none', violence: 'none', misconduct: 'none' }, profanity: false, pii: { entities: [] } },
      'props',
      /^filters nothing on AWS: .*Amazon Bedrock refuses a guardrail without a policy/,
    ],
  ])('%s', (_label, props, path, message) => {
    const error = errorOf(props);
    expect(error.problems.map((p) => p.path)).toEqual([path]);
    expect(error.problems[0].message).toMatch(message);
  });

  test('tokens inside the lists and in the texts are fine', () => {
    const { props, stack } = build({ blockedWords: [Lazy.string({ produce: () => 'falcon' })], blockedMessage: Lazy.string({ produce: () => 'No.' }) });
    expect(stack.resolve(props.WordPolicyConfig.WordsConfig)).toEqual([{ Text: 'falcon' }]);
    expect(stack.resolve(props.BlockedInputMessaging)).toBe('No.');
  });

  test('ai-stack check finds what synth refuses: the same rules on a design for AWS, none of them for another cloud', () => {
    const off = { promptAttack: 'none', content: { hate: 'none', insults: 'none', sexual: 'none', violence: 'none', misconduct: 'none' }, profanity: false, pii: { entities: [] } };
    const design = { ...bareDesign(), guardrails: off } as AiStackDesign;
    const aws = collectProblems(design, { clouds: ['aws'] }).all.filter((p) => p.path.startsWith('guardrails'));
    expect(aws.map((p) => p.path)).toEqual(['guardrails']);
    expect(aws[0].message).toMatch(/^filters nothing on AWS/);
    expect(collectProblems(design, { clouds: ['gcp'] }).all.filter((p) => p.path.startsWith('guardrails'))).toEqual([]);
  });
});

describe('AiStack (AWS) with guardrails', () => {
  const design = exampleDesign();
  const stack = new AiStack(new App(), design.name, { design });
  const template = Template.fromStack(stack);
  const guardrail = stack.guardrail!;

  test('the capability is built on AWS', () => {
    expect(isDeployed('guardrails', 'aws')).toBe(true);
    expect(guardrail).toBeInstanceOf(Guardrail);
  });

  test('builds the design\'s guardrail, named after the design, cost-tagged', () => {
    const props = only(template, 'AWS::Bedrock::Guardrail').Properties;
    expect(props.Name).toBe('support-ai-guardrail');
    expect(props.TopicPolicyConfig.TopicsConfig).toEqual([
      { Name: 'legal-advice', Definition: 'Requests for legal advice or interpretation of laws for a specific situation.', Examples: ['Can I sue my landlord for this?'], Type: 'DENY' },
    ]);
    expect(Object.fromEntries((props.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]))).toMatchObject(stack.costTags);
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
  });

  test('the router gets the guardrail\'s variables and ApplyGuardrail on it alone', () => {
    const vars = routerFunction(template).Properties.Environment.Variables;
    expect(stack.resolve(vars)).toMatchObject(stack.resolve(guardrail.routerEnvironment));
    const apply = statementsOf(template, 'RouterRole').filter((s) => [s.Action].flat().includes(APPLY_GUARDRAIL_ACTION));
    expect(apply).toEqual([{ Action: APPLY_GUARDRAIL_ACTION, Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailArn'] } }]);
  });

  test('outputs the guardrail id and version', () => {
    template.hasOutput('GuardrailId', { Value: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.guardrail), 'GuardrailId'] } });
    template.hasOutput('GuardrailVersion', { Value: { 'Fn::GetAtt': [stack.getLogicalId(guardrail.version), 'Version'] } });
  });

  test('the CloudFormation resource count includes the guardrail', () => {
    const bare = { ...bareDesign(), region: { aws: 'us-east-1' }, guardrails: { blockedWords: ['falcon'] } } as AiStackDesign;
    const count = (d: AiStackDesign) => Object.keys(Template.fromStack(new AiStack(new App(), 'Count', { design: d })).toJSON().Resources).length;
    expect(stackResourceCount(bare)).toBe(count(bare));
    expect(stackResourceCount(bare)).toBe(2);
  });

  test('guardrails without a router: the guardrail alone, and a warning that nothing applies it', () => {
    const only = new AiStack(new App(), 'Alone', { design: { ...bareDesign(), region: { aws: 'us-east-1' }, guardrails: {} } as AiStackDesign });
    Template.fromStack(only).resourceCountIs('AWS::Bedrock::Guardrail', 1);
    Annotations.fromStack(only).hasWarning('/Alone/Guardrail', Match.stringLikeRegexp('ai-stack:guardrail-no-router'));
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ai-stack:guardrail-no-router'))).toEqual([]);
  });
});

describe('Guardrail (AWS) under cdk-nag AwsSolutions', () => {
  test('alone and with a customer key: no finding', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    new Guardrail(stack, 'Plain', {});
    new Guardrail(stack, 'Keyed', { kmsKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
    app.synth();
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});

describe('docs/aws/guardrail.md', () => {
  const page = readFileSync(join(__dirname, '../../docs/aws/guardrail.md'), 'utf8');

  test('the example synthesizes as written', () => {
    const block = /<!-- example:start -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(page)?.[1];
    expect(block).toBeDefined();
    const { code } = transformSync(block ?? '', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const stacks: Stack[] = [];
    class DocApp extends cdk.App {
      synth(): ReturnType<App['synth']> {
        stacks.push(...this.node.children.filter((c): c is Stack => c instanceof Stack));
        return super.synth();
      }
    }
    const modules: Record<string, unknown> = { 'aws-cdk-lib': { ...cdk, App: DocApp }, 'ai-stack-constructs/aws': require('../../lib/aws') };
    new Function('require', 'exports', 'module', code)((m: string) => modules[m] ?? require(m), {}, { exports: {} });
    expect(stacks).toHaveLength(1);
    const template = Template.fromStack(stacks[0]);
    const props = only(template, 'AWS::Bedrock::Guardrail').Properties;
    expect(filters(props).INSULTS).toEqual(['MEDIUM', 'MEDIUM']);
    expect(props.SensitiveInformationPolicyConfig.PiiEntitiesConfig.map((e: any) => e.Type)).toEqual(['EMAIL', 'PHONE', 'INTERNATIONAL_BANK_ACCOUNT_NUMBER']);
    expect(JSON.stringify(routerFunction(template).Properties.Environment.Variables)).toContain(ROUTER_ENV.bedrockGuardrailVersion);
  });

  test('the PII table is the construct\'s mapping', () => {
    for (const e of PII_ENTITIES) expect(page).toMatch(new RegExp(`\\| \`${e}\` \\| \`${BEDROCK_PII_ENTITIES[e].bedrock}\``));
  });
});

describe('Guardrail (AWS): a design entity Bedrock has no type for', () => {
  test('is refused by the AWS rules with its path, never dropped', () => {
    jest.isolateModules(() => {
      const real = jest.requireActual('../../lib/aws/guardrail/mapping') as typeof import('../../lib/aws/guardrail/mapping');
      jest.doMock('../../lib/aws/guardrail/mapping', () => ({ ...real, BEDROCK_PII_ENTITIES: { ...real.BEDROCK_PII_ENTITIES, NAME: { bedrock: undefined } } }));
      const { validateGuardrailsOnAws } = require('../../lib/aws/guardrail/rules') as typeof import('../../lib/aws/guardrail/rules');
      const { Problems: P } = require('../../lib/design/problems') as typeof import('../../lib/design/problems');
      const problems = new P();
      validateGuardrailsOnAws({ pii: { entities: ['EMAIL', 'NAME'] } }, 'guardrails', problems);
      expect(problems.all).toEqual([{ path: 'guardrails.pii.entities[1]', message: "'NAME' has no Amazon Bedrock PII entity type, so the AWS guardrail cannot detect it; remove it, or leave aws out of the design" }]);
    });
    jest.dontMock('../../lib/aws/guardrail/mapping');
  });
});
