import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { App, TerraformStack, TerraformVariable, Testing, type TerraformResource } from 'cdktf';
import { AiStack } from '../../lib/azure/ai-stack';
import { Guardrail, type GuardrailProps, type IRouterGuardrail } from '../../lib/azure/guardrail';
import { ModelRouter, type ModelRouterProps } from '../../lib/azure/model-router';
import { validateDesign, type AiStackDesign, type FilterStrength, type PiiEntity } from '../../lib/design';
import { designErrorOf } from '../support/design-error';
import { makeStack, onlyResource, resourcesOf, synthJson, unresolvedReferences, type TfJson } from './helpers';

/** A zip stand-in: the router hashes and uploads the file, it never opens it. */
const PACKAGE = (() => {
  const path = join(mkdtempSync(join(tmpdir(), 'ai-stack-guardrail-pkg-')), 'azure.zip');
  writeFileSync(path, 'PK guardrail test package');
  return path;
})();

const SUBNET = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/router';

/** `${type.name.attr}` of a construct's resource. */
const ref = (resource: TerraformResource, attribute = 'id') => `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;

const warningsOf = (scope: { node: { findAll(): { node: { metadata: { type: string; data: unknown }[] } }[] } }) =>
  scope.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));

/** A Guardrail standing alone, and (with `account`) its RAI policy on an account id. */
function standalone(props: Partial<GuardrailProps> = {}, account?: string): { guardrail: Guardrail; json: TfJson } {
  const { stack, resourceGroup } = makeStack();
  const guardrail = new Guardrail(stack, 'Guardrail', { resourceGroupName: resourceGroup.name, location: resourceGroup.location, ...props });
  if (account) guardrail.raiPolicyFor({ id: account, endpoint: 'https://oai.example/' });
  return { guardrail, json: synthJson(stack) };
}

type Filter = { name: string; source: string; filter_enabled: boolean; block_enabled: boolean; severity_threshold: string };
const ACCOUNT = '/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai';
const policy = (json: TfJson) => onlyResource(json, 'azurerm_cognitive_account_rai_policy') as Record<string, any>;
const filters = (json: TfJson): Filter[] => policy(json).content_filter;
const filter = (json: TfJson, name: string, source: string) => filters(json).find((f) => f.name === name && f.source === source)!;
const contentSafety = (json: TfJson) => Object.values(resourcesOf(json, 'azurerm_cognitive_account')).find((a) => a.kind === 'ContentSafety') as Record<string, any>;

describe('the RAI policy: content filters from the design strengths', () => {
  // A stronger strength blocks more: its threshold is a lower severity.
  test.each<[FilterStrength, string]>([
    ['high', 'Low'],
    ['medium', 'Medium'],
    ['low', 'High'],
  ])('hate %s → Hate on Prompt and Completion from severity %s, blocking', (strength, threshold) => {
    const { json } = standalone({ content: { hate: strength, insults: 'none' } }, ACCOUNT);
    for (const source of ['Prompt', 'Completion']) expect(filter(json, 'Hate', source)).toEqual({ name: 'Hate', source, filter_enabled: true, block_enabled: true, severity_threshold: threshold });
  });

  test('the defaults: Hate, Sexual, Violence and SelfHarm on Prompt and Completion from Low, then Jailbreak on Prompt', () => {
    const { json } = standalone({}, ACCOUNT);
    expect(filters(json).map((f) => `${f.name}/${f.source}/${f.severity_threshold}/${f.filter_enabled}/${f.block_enabled}`)).toEqual([
      'Hate/Prompt/Low/true/true',
      'Sexual/Prompt/Low/true/true',
      'Violence/Prompt/Low/true/true',
      'SelfHarm/Prompt/Low/true/true',
      'Hate/Completion/Low/true/true',
      'Sexual/Completion/Low/true/true',
      'Violence/Completion/Low/true/true',
      'SelfHarm/Completion/Low/true/true',
      'Jailbreak/Prompt/High/true/true',
    ]);
    expect(policy(json)).toMatchObject({ name: 'test-guardrail', cognitive_account_id: ACCOUNT, base_policy_name: 'Microsoft.DefaultV2', mode: 'Default' });
  });

  test('each Azure category takes the strongest of the design categories it covers', () => {
    const none = { hate: 'none', insults: 'none', sexual: 'none', violence: 'none', misconduct: 'none' } as const;
    const thresholds = (content: object) => {
      const { json } = standalone({ content, modifiedContentFilteringApproved: true }, ACCOUNT);
      return Object.fromEntries(filters(json).filter((f) => f.source === 'Prompt' && f.filter_enabled && f.name !== 'Jailbreak').map((f) => [f.name, f.severity_threshold]));
    };
    expect(thresholds({ ...none, insults: 'medium' })).toEqual({ Hate: 'Medium' });
    expect(thresholds({ ...none, hate: 'low', insults: 'high' })).toEqual({ Hate: 'Low' });
    expect(thresholds({ ...none, misconduct: 'medium' })).toEqual({ Violence: 'Medium', SelfHarm: 'Medium' });
    expect(thresholds({ ...none, violence: 'low', misconduct: 'high' })).toEqual({ Violence: 'Low', SelfHarm: 'Low' });
    expect(thresholds({ ...none, sexual: 'low' })).toEqual({ Sexual: 'High' });
  });

  test('none, approved for modified content filtering: the filter is off', () => {
    const { json, guardrail } = standalone({ content: { sexual: 'none' }, modifiedContentFilteringApproved: true }, ACCOUNT);
    for (const source of ['Prompt', 'Completion']) expect(filter(json, 'Sexual', source)).toMatchObject({ filter_enabled: false, block_enabled: false });
    expect(warningsOf(guardrail).join('\n')).not.toMatch(/guardrail-azure-filters-on/);
  });

  test('none, not approved: the filter blocks at High, the least Azure allows, and a warning says so', () => {
    const { json, guardrail } = standalone({ content: { sexual: 'none' } }, ACCOUNT);
    for (const source of ['Prompt', 'Completion']) expect(filter(json, 'Sexual', source)).toMatchObject({ filter_enabled: true, block_enabled: true, severity_threshold: 'High' });
    expect(warningsOf(guardrail).join('\n')).toMatch(/\[ai-stack:guardrail-azure-filters-on\] the design turns off Sexual, .*modifiedContentFilteringApproved: true/);
  });

  test.each<[FilterStrength, boolean]>([
    ['high', true],
    ['medium', true],
    ['low', true],
    ['none', false],
  ])('promptAttack %s → Jailbreak on the prompt, on and blocking: %s', (strength, on) => {
    const { json } = standalone({ promptAttack: strength }, ACCOUNT);
    expect(filters(json).filter((f) => f.name === 'Jailbreak')).toEqual([{ name: 'Jailbreak', source: 'Prompt', filter_enabled: on, block_enabled: on, severity_threshold: 'High' }]);
  });

  test('one policy per account: asking twice for one account returns the same policy', () => {
    const { stack, resourceGroup } = makeStack();
    const g = new Guardrail(stack, 'Guardrail', { resourceGroupName: resourceGroup.name, location: 'eastus2' });
    const account = { id: ACCOUNT, endpoint: 'https://oai.example/' };
    g.raiPolicyFor(account);
    g.raiPolicyFor(account);
    expect(g.raiPolicies).toHaveLength(1);
    g.raiPolicyFor({ id: `${ACCOUNT}2`, endpoint: 'https://oai2.example/' });
    expect(g.raiPolicies).toHaveLength(2);
    expect(Object.keys(resourcesOf(synthJson(stack), 'azurerm_cognitive_account_rai_policy'))).toHaveLength(2);
  });
});

describe('the Content Safety account', () => {
  test('kind ContentSafety, Entra ID only (local auth off, custom subdomain), network rules deny all but admitted subnets', () => {
    const { json, guardrail } = standalone({ subnetIds: [SUBNET] });
    expect(contentSafety(json)).toMatchObject({
      name: 'cs-test-guard',
      kind: 'ContentSafety',
      sku_name: 'S0',
      custom_subdomain_name: 'cs-test-guard',
      local_auth_enabled: false,
      public_network_access_enabled: true,
      network_acls: { default_action: 'Deny', bypass: 'AzureServices', virtual_network_rules: [{ subnet_id: SUBNET }] },
    });
    expect(guardrail.routerEnvironment).toEqual({ AI_STACK_GUARD_KIND: 'content-safety', AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT: 'https://cs-test-guard.cognitiveservices.azure.com' });
  });

  test('grantUse: Cognitive Services User on that account only, and the subnet admitted once', () => {
    const { stack, resourceGroup } = makeStack();
    const g = new Guardrail(stack, 'Guardrail', { resourceGroupName: resourceGroup.name, location: 'eastus2' });
    const first = g.grantUse('11111111-1111-1111-1111-111111111111', SUBNET);
    g.grantUse('22222222-2222-2222-2222-222222222222', SUBNET);
    const json = synthJson(stack);
    expect(first).toHaveLength(1);
    expect(first[0]).toBeInstanceOf(RoleAssignment);
    expect(Object.values(resourcesOf(json, 'azurerm_role_assignment')).map((r) => [r.role_definition_name, r.scope, r.principal_id, r.principal_type]).sort()).toEqual([
      ['Cognitive Services User', ref(g.contentSafetyAccount), '11111111-1111-1111-1111-111111111111', 'ServicePrincipal'],
      ['Cognitive Services User', ref(g.contentSafetyAccount), '22222222-2222-2222-2222-222222222222', 'ServicePrincipal'],
    ]);
    expect(contentSafety(json).network_acls.virtual_network_rules).toEqual([{ subnet_id: SUBNET }]);
  });

  test('no subnet admitted: nothing reaches it (default action Deny, no rules)', () => {
    expect(contentSafety(standalone().json).network_acls).toEqual({ default_action: 'Deny', bypass: 'AzureServices', virtual_network_rules: [] });
  });
});

describe('warnings of router-enforced parts', () => {
  test('denied topics, blocked words, profanity and PII (Azure has no filter for them) are listed', () => {
    const w = warningsOf(standalone({ deniedTopics: [{ name: 't', definition: 'd' }], blockedWords: ['a'], pii: { action: 'block', entities: ['EMAIL', 'IBAN'] } }).guardrail).join('\n');
    expect(w).toMatch(/^\[ai-stack:guardrail-router-enforced\] .*nothing for blocked words \(1\), PII blocking \(EMAIL, IBAN\): the router's guard stage enforces them itself/);
    // What nothing here can enforce is said apart, never claimed.
    expect(w).toMatch(/\[ai-stack:guardrail-not-enforced\] denied topics \(1\), the managed profanity list: neither Azure's filters nor the router's local filter can enforce them/);
    expect(warningsOf(standalone({ profanity: false, pii: { action: 'mask', entities: ['EMAIL', 'NAME'] } }).guardrail).join('\n')).toMatch(/guardrail-not-enforced\] PII masking \(NAME\)/);
    const classified = warningsOf(standalone({ deniedTopics: [{ name: 't', definition: 'd' }], topicClassifier: { models: ['mini'] }, profanity: false, pii: { action: 'mask', entities: ['EMAIL'] } }).guardrail).join('\n');
    expect(classified).toMatch(/guardrail-router-enforced\] .*nothing for denied topics \(1\), by the router's topic classifier \(the first of mini this router serves\), PII masking \(EMAIL\)/);
    expect(classified).not.toContain('guardrail-not-enforced');
    expect(warningsOf(standalone().guardrail).join('\n')).toContain('PII masking (EMAIL, PHONE, CREDIT_DEBIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, IP_ADDRESS)');
  });

  test('nothing left to the router: no warning', () => {
    expect(warningsOf(standalone({ profanity: false, pii: { entities: [] } }).guardrail)).toEqual([]);
  });
});

/** The design of the stack tests: a router with an Azure OpenAI target, and guardrails. */
function design(change: (d: any) => void = () => undefined): AiStackDesign {
  const d: any = {
    name: 'acme-ai',
    region: { azure: 'eastus2' },
    tags: { team: 'ml', costCenter: 'cc-1', environment: 'prod', application: 'assistant' },
    router: {
      models: [{ id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' }, { id: 'big', provider: 'azure-openai', model: 'gpt-4o' }],
      routes: [{ name: 'chat', targets: [{ model: 'mini' }], fallbacks: ['big'] }],
      tenants: [{ id: 'team-a', monthlyBudgetUsd: 90 }],
    },
    guardrails: { content: { violence: 'medium', misconduct: 'medium' }, blockedWords: ['secret-project'], pii: { action: 'mask', entities: ['EMAIL'] } },
  };
  change(d);
  return d;
}
const stackOf = (d: AiStackDesign) => {
  const stack = new AiStack(Testing.app(), d.name, { design: d, routerPackagePath: PACKAGE });
  return { stack, json: synthJson(stack) };
};
const functionApp = (json: TfJson) => onlyResource(json, 'azurerm_function_app_flex_consumption') as Record<string, any>;

describe('in azure.AiStack: the router uses the guardrail', () => {
  const { stack, json } = stackOf(design());
  const guardrail = stack.guardrail!;
  const settings = functionApp(json).app_settings as Record<string, string>;

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('the RAI policy is on the router\'s Azure OpenAI account, and every deployment uses it (and so waits for it)', () => {
    expect(policy(json).cognitive_account_id).toBe(ref(stack.router!.openAiAccount!));
    const deployments = Object.values(resourcesOf(json, 'azurerm_cognitive_deployment'));
    expect(deployments.map((d) => d.name).sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    for (const d of deployments) expect(d.rai_policy_name).toBe(ref(guardrail.raiPolicies[0], 'name'));
    expect(filter(json, 'Violence', 'Completion').severity_threshold).toBe('Medium');
  });

  test('the router calls Content Safety: AI_STACK_GUARD_KIND and the endpoint in its app settings', () => {
    expect(settings.AI_STACK_GUARD_KIND).toBe('content-safety');
    expect(settings.AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT).toBe('https://cs-acme-ai-guard.cognitiveservices.azure.com');
    expect(contentSafety(json).custom_subdomain_name).toBe('cs-acme-ai-guard');
  });

  test("the router's identity: Cognitive Services User on the Content Safety account only; its subnet admitted; the app waits for the grant", () => {
    const identity = ref(stack.router!.identity as UserAssignedIdentity, 'principal_id');
    const onAccount = Object.values(resourcesOf(json, 'azurerm_role_assignment')).filter((r) => r.scope === ref(guardrail.contentSafetyAccount));
    expect(onAccount.map((r) => [r.role_definition_name, r.principal_id])).toEqual([['Cognitive Services User', identity]]);
    expect(stack.router!.roleAssignments).toContain(guardrail.grants[0]);
    expect(functionApp(json).depends_on).toContain(`azurerm_role_assignment.${guardrail.grants[0].friendlyUniqueId}`);
    expect(contentSafety(json).network_acls.virtual_network_rules).toEqual([{ subnet_id: ref(stack.network!.routerSubnet!) }]);
  });

  test("the guardrails section is in the router's config: the guard stage masks PII and blocks words itself", () => {
    const guard = JSON.parse(settings.AI_STACK_ROUTER_CONFIG).guard;
    expect(guard).toMatchObject({ blockedWords: ['secret-project'], pii: { action: 'mask', entities: ['EMAIL'] } });
    expect(warningsOf(guardrail).join('\n')).toMatch(/guardrail-router-enforced.*blocked words \(1\), PII masking \(EMAIL\)/);
  });

  test('without guardrails: no policy, no Content Safety, deployments on the default policy, no guard settings', () => {
    const { json: plain } = stackOf(design((d) => delete d.guardrails));
    expect(resourcesOf(plain, 'azurerm_cognitive_account_rai_policy')).toEqual({});
    expect(Object.values(resourcesOf(plain, 'azurerm_cognitive_account')).map((a) => a.kind)).toEqual(['OpenAI']);
    for (const d of Object.values(resourcesOf(plain, 'azurerm_cognitive_deployment'))) expect(d.rai_policy_name).toBeUndefined();
    expect(Object.keys(functionApp(plain).app_settings).filter((k) => k.startsWith('AI_STACK_GUARD_'))).toEqual([]);
  });

  test('guardrails without a router: nothing is built for them, and a warning says so', () => {
    const d = design((x) => {
      delete x.router;
      x.endpoints = [{ name: 'llm', accelerator: 'nvidia-a10g', server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' }, capacity: { min: 1, max: 2 } }];
    });
    const s = new AiStack(Testing.app(), d.name, { design: d });
    expect(s.guardrail).toBeUndefined();
    expect(resourcesOf(synthJson(s), 'azurerm_cognitive_account')).toEqual({});
    expect(warningsOf(s).join('\n')).toMatch(/\[ai-stack:guardrails-without-router\]/);
  });

  test('ai-stack check sees the Azure rule: PII entities fixed at synth', () => {
    const entities = new TerraformVariable(makeStack().stack, 'e', { type: 'list(string)' }).listValue;
    const error = designErrorOf(() => validateDesign(design((d) => (d.guardrails.pii.entities = entities)), { clouds: ['azure'] }));
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^guardrails\.pii\.entities: must be a literal list on Azure/)]);
  });
});

describe('a standalone ModelRouter with a guardrail', () => {
  const router = (overrides: Partial<ModelRouterProps>, setup?: (stack: TerraformStack, rg: string) => Partial<ModelRouterProps>) => {
    const { stack, resourceGroup } = makeStack();
    const extra = setup?.(stack, resourceGroup.name) ?? {};
    const r = new ModelRouter(stack, 'Router', {
      models: [{ id: 'mini', provider: 'azure-openai', model: 'gpt-4o-mini' }],
      routes: [{ name: 'chat', targets: [{ model: 'mini' }] }],
      resourceGroupName: resourceGroup.name,
      location: resourceGroup.location,
      packagePath: PACKAGE,
      deployerCidrs: ['203.0.113.0/24'],
      ...extra,
      ...overrides,
    });
    return { r, json: synthJson(stack) };
  };

  test('an azure.Guardrail: the router admits its own subnet and grants its own identity', () => {
    let g: Guardrail | undefined;
    const { r, json } = router({}, (stack, rg) => {
      g = new Guardrail(stack, 'Guardrail', { resourceGroupName: rg, location: 'eastus2' });
      return { guardrail: g };
    });
    expect(contentSafety(json).network_acls.virtual_network_rules).toEqual([{ subnet_id: ref(r.network!.routerSubnet!) }]);
    expect(Object.values(resourcesOf(json, 'azurerm_role_assignment')).filter((a) => a.scope === ref(g!.contentSafetyAccount)).map((a) => a.principal_id)).toEqual([ref(r.identity as UserAssignedIdentity, 'principal_id')]);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('bring your own: an existing Content Safety account and policy; its settings, grant and policy name are used', () => {
    const granted: [string, string | undefined][] = [];
    const { r, json } = router({}, (stack) => ({
      guardrail: {
        routerEnvironment: { AI_STACK_GUARD_KIND: 'content-safety', AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT: 'https://shared-cs.cognitiveservices.azure.com' },
        design: { blockedWords: ['forbidden'] },
        grantUse(principalId: string, subnetId?: string) {
          granted.push([principalId, subnetId]);
          // The subnet goes into the description: the synthesized JSON shows what the router passed.
          return [new RoleAssignment(stack, 'SharedCsUser', { scope: '/subscriptions/0/resourceGroups/shared/providers/Microsoft.CognitiveServices/accounts/shared-cs', roleDefinitionName: 'Cognitive Services User', principalId, description: subnetId })];
        },
        raiPolicyFor: () => 'team-policy',
      } satisfies IRouterGuardrail,
    }));
    expect(granted).toHaveLength(1);
    const shared = resourcesOf(json, 'azurerm_role_assignment').SharedCsUser;
    expect([shared.principal_id, shared.description]).toEqual([ref(r.identity as UserAssignedIdentity, 'principal_id'), ref(r.network!.routerSubnet!)]);
    const settings = functionApp(json).app_settings;
    expect(settings).toMatchObject({ AI_STACK_GUARD_KIND: 'content-safety', AI_STACK_GUARD_CONTENT_SAFETY_ENDPOINT: 'https://shared-cs.cognitiveservices.azure.com' });
    expect(JSON.parse(settings.AI_STACK_ROUTER_CONFIG).guard.blockedWords).toEqual(['forbidden']);
    expect(onlyResource(json, 'azurerm_cognitive_deployment').rai_policy_name).toBe('team-policy');
    expect(functionApp(json).depends_on).toContain('azurerm_role_assignment.SharedCsUser');
  });

  test('raiPolicyName alone: the deployments use that policy', () => {
    const { json } = router({ raiPolicyName: 'Microsoft.DefaultV2' });
    expect(onlyResource(json, 'azurerm_cognitive_deployment').rai_policy_name).toBe('Microsoft.DefaultV2');
  });

  test.each<[string, Partial<ModelRouterProps>, string, RegExp]>([
    ['a raiPolicyName beside a guardrail with its own policy', { raiPolicyName: 'x', guardrail: { routerEnvironment: {}, grantUse: () => [], raiPolicyFor: () => 'y' } }, 'props.raiPolicyName', /conflicts with props\.guardrail/],
    ['an empty raiPolicyName', { raiPolicyName: ' ' }, 'props.raiPolicyName', /must name an RAI policy/],
    ['a guardrail that sets a router variable', { guardrail: { routerEnvironment: { AI_STACK_ROUTER_CONFIG: '{}' }, grantUse: () => [] } }, 'props.guardrail.routerEnvironment.AI_STACK_ROUTER_CONFIG', /is not a guard variable/],
    ['a guardrail that is not an object', { guardrail: 'content-safety' as unknown as IRouterGuardrail }, 'props.guardrail', /must be a router guardrail/],
  ])('refused: %s', (_, overrides, problemPath, message) => {
    const error = designErrorOf(() => router(overrides));
    expect(error.problems.map((p) => p.path)).toEqual([problemPath]);
    expect(error.problems[0].message).toMatch(message);
  });
});

describe('Guardrail props refused, each with its path', () => {
  test.each<[string, Partial<GuardrailProps>, string, string]>([
    ['a misspelled prop', { subnetIDs: [SUBNET] } as any, 'props.subnetIDs', "did you mean 'subnetIds'"],
    ['a strength that is not one', { content: { hate: 'max' as any } }, 'props.content.hate', 'must be one of none, low, medium, high'],
    ['an entity that is not one', { pii: { entities: ['SSN' as PiiEntity] } }, 'props.pii.entities[0]', 'must be one of EMAIL'],
    ['a subnet that is not a subnet id', { subnetIds: ['router'] }, 'props.subnetIds[0]', 'must be a subnet resource id'],
    ['an empty location', { location: ' ' }, 'props.location', 'must not be empty'],
    ['a prefix that is not one', { namePrefix: 'Acme' }, 'props.namePrefix', 'must be 1-20 lowercase letters'],
    ['a neutral rule: a long blocked message', { blockedMessage: 'm'.repeat(501) }, 'props.blockedMessage', 'at most 500 characters'],
  ])('%s', (_, props, problemPath, message) => {
    const error = designErrorOf(() => standalone(props));
    const problem = error.problems.find((p) => p.path === problemPath);
    expect({ path: problem?.path, message: problem?.message }).toEqual({ path: problemPath, message: expect.stringContaining(message) });
    expect(error.message).toContain('the props of test/Guardrail');
  });

  test('resourceGroupName and location are required', () => {
    const { stack } = makeStack();
    const error = designErrorOf(() => new Guardrail(stack, 'Guardrail', {} as GuardrailProps));
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['props.resourceGroupName: is required', 'props.location: is required']);
  });
});

describe('docs/azure/guardrail.md', () => {
  test('the example synthesizes: the deployment uses the policy, every reference resolves', () => {
    const doc = readFileSync(join(__dirname, '../../docs/azure/guardrail.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    expect(source).toContain("new ModelRouter(this, 'Router', {");
    const patched = source
      .replace('new App()', 'new App({ outdir: OUTDIR })')
      .replace('app.synth();', 'exports.app = app;')
      .replace("new ModelRouter(this, 'Router', {", "new ModelRouter(this, 'Router', { packagePath: PACKAGE_PATH,");
    const code = transformSync(patched, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code;
    const modules: Record<string, unknown> = { 'ai-stack-constructs': require('../../lib/design'), 'ai-stack-constructs/azure': require('../../lib/azure') };
    const exported: { app?: App } = {};
    new Function('require', 'exports', 'OUTDIR', 'PACKAGE_PATH', code)((m: string) => modules[m] ?? require(m), exported, mkdtempSync(join(tmpdir(), 'ai-stack-docs-')), PACKAGE);
    const stack = exported.app!.node.children.find((c): c is TerraformStack => c instanceof TerraformStack)!;
    const json = synthJson(stack);
    expect(onlyResource(json, 'azurerm_cognitive_deployment').rai_policy_name).toMatch(/^\$\{azurerm_cognitive_account_rai_policy\.[\w-]+\.name\}$/);
    expect(functionApp(json).app_settings.AI_STACK_GUARD_KIND).toBe('content-safety');
    expect(unresolvedReferences(json)).toEqual([]);
  });
});
