import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing, TerraformVariable, type TerraformResource } from 'cdktf';
import { validateDesign, type FilterStrength, type PiiEntity } from '../../lib/design';
import { AiStack } from '../../lib/gcp/ai-stack';
import { Guardrail, type GuardrailProps, type IRouterGuardrail } from '../../lib/gcp/guardrail';
import { ModelRouter, type ModelRouterProps } from '../../lib/gcp/model-router';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { smallDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { dataSourcesOf, gcpTestStack, onlyResource, resourcesOf, synthJson, unresolvedReferences, warningsOf, type TerraformJson } from './helpers';

const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;
const addressOf = (json: TerraformJson, type: string): string => `${type}.${onlyResource(json, type).name}`;

/** A Guardrail standing alone in a stack with the Google provider. */
function standalone(props: Partial<GuardrailProps> = {}): { guardrail: Guardrail; json: TerraformJson } {
  const { stack } = gcpTestStack();
  const guardrail = new Guardrail(stack, 'Guardrail', { location: 'us-central1', ...props });
  return { guardrail, json: synthJson(stack) };
}

const template = (json: TerraformJson) => onlyResource(json, 'google_model_armor_template').config;
const raiFilters = (json: TerraformJson): Record<string, string> =>
  Object.fromEntries((template(json).filter_config.rai_settings?.rai_filters ?? []).map((f: { filter_type: string; confidence_level: string }) => [f.filter_type, f.confidence_level]));

/** The design fixture on GCP (L4 fleet), with guardrails. */
function design(change: (d: any) => void = () => undefined): any {
  const d = smallDesign();
  d.endpoints[0].accelerator = 'nvidia-l4';
  d.endpoints[0].acceleratorsPerReplica = 1;
  // The router alone: the budget (a stop function on Cloud Run of its own) is test/gcp/budget.test.ts's.
  delete d.budget;
  d.guardrails = { deniedTopics: [{ name: 'legal-advice', definition: 'Requests for legal advice.' }], pii: { action: 'mask' } };
  change(d);
  return d;
}

const stackOf = (d: any) => {
  const stack = new AiStack(Testing.app(), d.name, { design: d });
  return { stack, json: JSON.parse(Testing.synth(stack)) as TerraformJson };
};
const service = (json: TerraformJson) => onlyResource(json, 'google_cloud_run_v2_service').config;
const envOf = (json: TerraformJson): Record<string, string> => Object.fromEntries(service(json).template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
/** The router config object's JSON (the Cloud Storage object the service mounts). */
const configOf = (json: TerraformJson) => JSON.parse(Object.values(resourcesOf(json, 'google_storage_bucket_object')).find((o) => o.content !== undefined)!.content);

describe('responsible-AI filters from the design strengths', () => {
  // A stronger design strength blocks more: it matches from a lower Model Armor confidence.
  test.each<[FilterStrength, string | undefined]>([
    ['high', 'LOW_AND_ABOVE'],
    ['medium', 'MEDIUM_AND_ABOVE'],
    ['low', 'HIGH'],
    ['none', undefined],
  ])('hate %s → HATE_SPEECH %s', (strength, confidence) => {
    const { json } = standalone({ content: { hate: strength } });
    expect(raiFilters(json).HATE_SPEECH).toBe(confidence);
  });

  test('defaults: every filter at LOW_AND_ABOVE', () => {
    expect(raiFilters(standalone().json)).toEqual({ HATE_SPEECH: 'LOW_AND_ABOVE', HARASSMENT: 'LOW_AND_ABOVE', SEXUALLY_EXPLICIT: 'LOW_AND_ABOVE', DANGEROUS: 'LOW_AND_ABOVE' });
  });

  test('each Model Armor filter takes the strongest of the design categories it covers', () => {
    const all = (s: FilterStrength) => ({ hate: s, insults: s, sexual: s, violence: s, misconduct: s });
    // Harassment ← insults, violence; Dangerous ← violence, misconduct; Sexually explicit ← sexual.
    expect(raiFilters(standalone({ content: { ...all('none'), insults: 'medium' } }).json)).toEqual({ HARASSMENT: 'MEDIUM_AND_ABOVE' });
    expect(raiFilters(standalone({ content: { ...all('none'), violence: 'low' } }).json)).toEqual({ HARASSMENT: 'HIGH', DANGEROUS: 'HIGH' });
    expect(raiFilters(standalone({ content: { ...all('none'), misconduct: 'high', violence: 'low' } }).json)).toEqual({ HARASSMENT: 'HIGH', DANGEROUS: 'LOW_AND_ABOVE' });
    expect(raiFilters(standalone({ content: { ...all('none'), sexual: 'medium' } }).json)).toEqual({ SEXUALLY_EXPLICIT: 'MEDIUM_AND_ABOVE' });
  });

  test('every category none: no rai_settings block at all', () => {
    const { json } = standalone({ content: { hate: 'none', insults: 'none', sexual: 'none', violence: 'none', misconduct: 'none' } });
    expect(template(json).filter_config.rai_settings).toBeUndefined();
  });
});

describe('prompt attacks, malicious URIs, enforcement', () => {
  test.each<[FilterStrength, Record<string, string>]>([
    ['high', { filter_enforcement: 'ENABLED', confidence_level: 'LOW_AND_ABOVE' }],
    ['medium', { filter_enforcement: 'ENABLED', confidence_level: 'MEDIUM_AND_ABOVE' }],
    ['low', { filter_enforcement: 'ENABLED', confidence_level: 'HIGH' }],
    ['none', { filter_enforcement: 'DISABLED' }],
  ])('promptAttack %s → pi_and_jailbreak_filter_settings', (strength, settings) => {
    expect(template(standalone({ promptAttack: strength }).json).filter_config.pi_and_jailbreak_filter_settings).toEqual(settings);
  });

  test('the malicious URI filter is on, and the template blocks (INSPECT_AND_BLOCK) and reports partial failures', () => {
    const t = template(standalone().json);
    expect(t.filter_config.malicious_uri_filter_settings).toEqual({ filter_enforcement: 'ENABLED' });
    expect(t.template_metadata).toEqual({
      enforcement_type: 'INSPECT_AND_BLOCK',
      ignore_partial_invocation_failures: false,
      log_sanitize_operations: false,
      log_template_operations: false,
      multi_language_detection: { enable_multi_language_detection: true },
    });
    expect(t).toMatchObject({ location: 'us-central1', template_id: 'test-guardrail' });
  });

  test('multiLanguageDetection: false screens as English only', () => {
    expect(template(standalone({ multiLanguageDetection: false }).json).template_metadata.multi_language_detection).toEqual({ enable_multi_language_detection: false });
  });

  test('names start with the prefix', () => {
    const { json } = standalone({ namePrefix: 'acme' });
    expect(template(json).template_id).toBe('acme-guardrail');
    expect(onlyResource(json, 'google_data_loss_prevention_inspect_template').config.template_id).toBe('acme-guardrail-inspect');
    expect(onlyResource(json, 'google_data_loss_prevention_deidentify_template').config.template_id).toBe('acme-guardrail-deidentify');
  });
});

describe('Sensitive Data Protection', () => {
  const ALL: PiiEntity[] = ['EMAIL', 'PHONE', 'NAME', 'ADDRESS', 'CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS', 'IBAN', 'PASSPORT_NUMBER'];
  const infoTypes = (json: TerraformJson) => onlyResource(json, 'google_data_loss_prevention_inspect_template').config.inspect_config.info_types.map((t: { name: string }) => t.name);

  test('mask: an inspect and a de-identify template of every entity, as DLP infoTypes, replaced by their infoType name', () => {
    const { json } = standalone({ pii: { action: 'mask', entities: ALL } });
    const expected = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'PERSON_NAME', 'STREET_ADDRESS', 'CREDIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS', 'IBAN_CODE', 'PASSPORT'];
    expect(infoTypes(json)).toEqual(expected);
    const inspect = onlyResource(json, 'google_data_loss_prevention_inspect_template').config;
    expect(inspect.parent).toBe(`projects/${ref(`data.google_client_config.${Object.keys(dataSourcesOf(json, 'google_client_config'))[0]}`, 'project')}/locations/us-central1`);
    expect(inspect.inspect_config.min_likelihood).toBe('POSSIBLE');
    const deidentify = onlyResource(json, 'google_data_loss_prevention_deidentify_template').config;
    expect(deidentify.parent).toBe(inspect.parent);
    expect(deidentify.deidentify_config.info_type_transformations.transformations).toEqual([
      { info_types: expected.map((name) => ({ name })), primitive_transformation: { replace_with_info_type_config: true } },
    ]);
    expect(template(json).filter_config.sdp_settings).toEqual({
      advanced_config: {
        inspect_template: ref(addressOf(json, 'google_data_loss_prevention_inspect_template'), 'id'),
        deidentify_template: ref(addressOf(json, 'google_data_loss_prevention_deidentify_template'), 'id'),
      },
    });
  });

  test('the default: mask email, phone, card, SSN and IP address', () => {
    expect(infoTypes(standalone().json)).toEqual(['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER', 'IP_ADDRESS']);
  });

  test('block with entities beyond the basic set: the inspect template only, no de-identify template', () => {
    const { json } = standalone({ pii: { action: 'block', entities: ['EMAIL', 'CREDIT_DEBIT_CARD_NUMBER'] } });
    expect(infoTypes(json)).toEqual(['EMAIL_ADDRESS', 'CREDIT_CARD_NUMBER']);
    expect(resourcesOf(json, 'google_data_loss_prevention_deidentify_template')).toEqual({});
    expect(template(json).filter_config.sdp_settings).toEqual({ advanced_config: { inspect_template: ref(addressOf(json, 'google_data_loss_prevention_inspect_template'), 'id') } });
  });

  test("block of card and SSN only: Model Armor's basic config covers them, no templates and no service-agent grants", () => {
    const { json } = standalone({ pii: { action: 'block', entities: ['CREDIT_DEBIT_CARD_NUMBER', 'US_SOCIAL_SECURITY_NUMBER'] } });
    expect(template(json).filter_config.sdp_settings).toEqual({ basic_config: { filter_enforcement: 'ENABLED' } });
    expect(resourcesOf(json, 'google_data_loss_prevention_inspect_template')).toEqual({});
    expect(resourcesOf(json, 'google_project_iam_member')).toEqual({});
    expect(template(json).depends_on).toBeUndefined();
  });

  test('no entities: no PII screening at all', () => {
    const { json } = standalone({ pii: { entities: [] } });
    expect(template(json).filter_config.sdp_settings).toBeUndefined();
    expect(resourcesOf(json, 'google_data_loss_prevention_inspect_template')).toEqual({});
  });

  test("advanced: Model Armor's service agent gets DLP user and reader in the project, before the template exists", () => {
    const { json } = standalone({ project: 'acme-prod' });
    const project = Object.entries(dataSourcesOf(json, 'google_project'));
    expect(project).toHaveLength(1);
    expect(project[0][1].project_id).toBe('acme-prod');
    const agent = `serviceAccount:service-${ref(`data.google_project.${project[0][0]}`, 'number')}@gcp-sa-modelarmor.iam.gserviceaccount.com`;
    const grants = Object.entries(resourcesOf(json, 'google_project_iam_member'));
    expect(grants.map(([, g]) => [g.role, g.member, g.project, g.condition]).sort()).toEqual([
      ['roles/dlp.reader', agent, 'acme-prod', undefined],
      ['roles/dlp.user', agent, 'acme-prod', undefined],
    ]);
    expect([...template(json).depends_on].sort()).toEqual(grants.map(([name]) => `google_project_iam_member.${name}`).sort());
    expect(template(json).project).toBe('acme-prod');
  });
});

describe('the router: environment, grant, config', () => {
  const { stack, json } = stackOf(design());
  const env = envOf(json);
  const routerSa = Object.entries(resourcesOf(json, 'google_service_account')).find(([, s]) => s.account_id === 'demo-ai-router')![0];

  test('every reference resolves', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('the router calls Model Armor with the template: AI_STACK_GUARD_KIND and the template resource name', () => {
    expect(env.AI_STACK_GUARD_KIND).toBe('model-armor');
    expect(env.AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE).toBe(ref(addressOf(json, 'google_model_armor_template'), 'id'));
    expect(stack.guardrail!.routerEnvironment).toEqual({ AI_STACK_GUARD_KIND: 'model-armor', AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE: stack.guardrail!.templateName });
    expect((json.output as any)['guardrail-template'].value).toBe(env.AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE);
  });

  test("the router's service account gets roles/modelarmor.user (sanitize only), unconditioned, and the service waits for it", () => {
    const users = Object.entries(resourcesOf(json, 'google_project_iam_member')).filter(([, g]) => g.role === 'roles/modelarmor.user');
    expect(users).toHaveLength(1);
    expect(users[0][1]).toEqual({ project: '${var.gcp_project}', role: 'roles/modelarmor.user', member: `serviceAccount:${ref(`google_service_account.${routerSa}`, 'email')}` });
    expect(service(json).depends_on).toContain(`google_project_iam_member.${users[0][0]}`);
    // No Model Armor role beyond the user role, to nobody.
    expect(Object.values(resourcesOf(json, 'google_project_iam_member')).filter((g) => /modelarmor/.test(g.role)).map((g) => g.role)).toEqual(['roles/modelarmor.user']);
  });

  test("the guardrails section goes into the router's config, so the guard stage enforces what Model Armor cannot", () => {
    const guard = configOf(json).guard;
    expect(guard).toMatchObject({ pii: { action: 'mask' }, promptAttack: 'high', profanity: true });
    // Only the design's fields: not the construct's location or project.
    expect(stack.guardrail!.design).toEqual(design().guardrails);
    expect(stack.guardrail!.design).not.toHaveProperty('location');
  });

  test('the warning names what nothing on Google Cloud enforces, and claims nothing for it', () => {
    const warnings = warningsOf(stack.guardrail!).join('\n');
    expect(warnings).toMatch(/^\[ai-stack:guardrail-not-enforced\] denied topics \(1\), the managed profanity list: neither Model Armor nor the router's local filter can enforce them/);
    expect(warnings).not.toContain('guardrail-router-enforced');
  });
});

describe('warnings of router-enforced parts', () => {
  test('blocked words, topics and profanity are listed; a guardrail Model Armor covers entirely does not warn', () => {
    const both = warningsOf(standalone({ blockedWords: ['a', 'b'], deniedTopics: [{ name: 't', definition: 'd' }] }).guardrail).join('\n');
    expect(both).toMatch(/guardrail-router-enforced\] Model Armor has no filter for blocked words \(2\): the router's guard stage enforces them itself/);
    expect(both).toMatch(/guardrail-not-enforced\] denied topics \(1\), the managed profanity list:/);
    // With a topic classifier the router enforces the topics, and says so.
    const classified = warningsOf(standalone({ deniedTopics: [{ name: 't', definition: 'd' }], topicClassifier: { models: ['flash'] }, profanity: false }).guardrail).join('\n');
    expect(classified).toMatch(/guardrail-router-enforced\] Model Armor has no filter for denied topics \(1\), by the router's topic classifier \(the first of flash this router serves\)/);
    expect(classified).not.toContain('guardrail-not-enforced');
    expect(warningsOf(standalone({ profanity: false }).guardrail)).toEqual([]);
  });
});

describe('in gcp.AiStack', () => {
  test('without guardrails: no template, no guard variables, no Model Armor grant', () => {
    const { json } = stackOf(design((d) => delete d.guardrails));
    expect(resourcesOf(json, 'google_model_armor_template')).toEqual({});
    expect(Object.keys(envOf(json)).filter((k) => k.startsWith('AI_STACK_GUARD_'))).toEqual([]);
    expect(configOf(json).guard).toBeUndefined();
    expect(Object.values(resourcesOf(json, 'google_project_iam_member')).map((g) => g.role)).not.toContain('roles/modelarmor.user');
  });

  test('guardrails without a router: nothing is built for them, and a warning says so', () => {
    const { stack, json } = stackOf(design((d) => delete d.router));
    expect(resourcesOf(json, 'google_model_armor_template')).toEqual({});
    expect(stack.guardrail).toBeUndefined();
    expect(warningsOf(stack).join('\n')).toMatch(/\[ai-stack:guardrails-without-router\]/);
  });

  test('ai-stack check sees the GCP rule: PII entities fixed at synth', () => {
    const entities = new TerraformVariable(gcpTestStack().stack, 'e', { type: 'list(string)' }).listValue;
    const error = designErrorOf(() => validateDesign(design((d) => (d.guardrails.pii.entities = entities)), { clouds: ['gcp'] }));
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^guardrails\.pii\.entities: must be a literal list on Google Cloud/)]);
    expect(() => validateDesign(design((d) => (d.guardrails.pii.entities = ['EMAIL'])), { clouds: ['gcp'] })).not.toThrow();
  });
});

describe('bring your own guardrail on a standalone ModelRouter', () => {
  const router = (guardrail: IRouterGuardrail, overrides: Partial<ModelRouterProps> = {}) => {
    const { stack } = gcpTestStack();
    const r = new ModelRouter(stack, 'Router', {
      region: 'us-central1',
      models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }],
      routes: [{ name: 'chat', targets: [{ model: 'flash' }] }],
      guardrail,
      ...overrides,
    });
    return { r, json: synthJson(stack) };
  };

  test("its variables reach the service, its grant is made for the router's account and awaited, its section reaches the config", () => {
    const { stack } = gcpTestStack();
    const granted: string[] = [];
    // A team's own template, shared by several routers: its grant is the team's resource.
    const own: IRouterGuardrail = {
      routerEnvironment: { AI_STACK_GUARD_KIND: 'model-armor', AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE: 'projects/p/locations/us-central1/templates/shared' },
      design: { blockedWords: ['forbidden'] },
      grantUse(email): TerraformResource[] {
        granted.push(email);
        return [new ProjectIamMember(stack, 'SharedTemplateUser', { project: 'p', role: 'roles/modelarmor.user', member: `serviceAccount:${email}` })];
      },
    };
    const r = new ModelRouter(stack, 'Router', {
      region: 'us-central1',
      models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }],
      routes: [{ name: 'chat', targets: [{ model: 'flash' }] }],
      guardrail: own,
    });
    const json = synthJson(stack);
    expect(granted).toEqual([r.serviceAccountEmail]);
    expect(envOf(json)).toMatchObject(own.routerEnvironment);
    expect(service(json).depends_on).toContain('google_project_iam_member.SharedTemplateUser');
    expect(configOf(json).guard.blockedWords).toEqual(['forbidden']);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('a Guardrail with a service account of your own: the grant goes to that account', () => {
    const { stack } = gcpTestStack();
    const g = new Guardrail(stack, 'Guardrail', { location: 'us-central1' });
    new ModelRouter(stack, 'Router', {
      region: 'us-central1',
      models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }],
      routes: [{ name: 'chat', targets: [{ model: 'flash' }] }],
      serviceAccountEmail: 'router@acme.iam.gserviceaccount.com',
      guardrail: g,
    });
    const json = synthJson(stack);
    const users = Object.values(resourcesOf(json, 'google_project_iam_member')).filter((m) => m.role === 'roles/modelarmor.user');
    expect(users.map((u) => u.member)).toEqual(['serviceAccount:router@acme.iam.gserviceaccount.com']);
    expect(g.grants).toHaveLength(1);
  });

  test('a guardrail that sets a variable of the router is refused, with its path', () => {
    const error = designErrorOf(() => router({ routerEnvironment: { AI_STACK_GUARD_KIND: 'model-armor', AI_STACK_ROUTER_STORE: 'memory' }, grantUse: () => [] }));
    expect(error.problems.map((p) => p.path)).toEqual(['props.guardrail.routerEnvironment.AI_STACK_ROUTER_STORE']);
    expect(error.problems[0].message).toMatch(/is not a guard variable: a guardrail sets only the AI_STACK_GUARD_\* variables/);
  });

  test('a guardrail that is not an object is refused by the shape', () => {
    const error = designErrorOf(() => router('model-armor' as unknown as IRouterGuardrail));
    expect(error.problems.map((p) => p.path)).toEqual(['props.guardrail']);
    expect(error.problems[0].message).toMatch(/must be a router guardrail/);
  });
});

describe('props refused, each with its path', () => {
  test.each<[string, Partial<GuardrailProps>, string, string]>([
    ['a misspelled prop', { contnet: { hate: 'high' } } as any, 'props.contnet', "did you mean 'content'"],
    ['a strength that is not one', { promptAttack: 'max' as any }, 'props.promptAttack', 'must be one of none, low, medium, high'],
    ['an entity that is not one', { pii: { entities: ['SSN' as any] } }, 'props.pii.entities[0]', 'must be one of EMAIL'],
    ['a location that is not one', { location: 'US Central' }, 'props.location', 'must be a Model Armor location'],
    ['a project that is not one', { project: 'Acme' }, 'props.project', 'must be a GCP project id'],
    ['a prefix that is not one', { namePrefix: 'Acme' }, 'props.namePrefix', 'must be 1-20 lowercase letters'],
    ['a neutral rule: a blank blocked word', { blockedWords: [' '] }, 'props.blockedWords[0]', 'must not be empty'],
    ['a neutral rule: a duplicate topic', { deniedTopics: [{ name: 'a', definition: 'x' }, { name: 'A', definition: 'y' }] }, 'props.deniedTopics[1].name', "duplicate denied topic 'A'"],
  ])('%s', (_, props, problemPath, message) => {
    const error = designErrorOf(() => standalone(props));
    const problem = error.problems.find((p) => p.path === problemPath);
    expect({ path: problem?.path, message: problem?.message }).toEqual({ path: problemPath, message: expect.stringContaining(message) });
    expect(error.message).toContain('the props of test/Guardrail');
  });

  test('location is required', () => {
    const { stack } = gcpTestStack();
    const error = designErrorOf(() => new Guardrail(stack, 'Guardrail', {} as GuardrailProps));
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['props.location: is required']);
  });

  test('the GCP rule on a construct: PII entities as a token', () => {
    const { stack } = gcpTestStack();
    const entities = new TerraformVariable(stack, 'e', { type: 'list(string)' }).listValue as unknown as PiiEntity[];
    const error = designErrorOf(() => new Guardrail(stack, 'Guardrail', { location: 'us-central1', pii: { entities } }));
    expect(error.problems.map((p) => p.path)).toEqual(['props.pii.entities']);
  });
});

describe('docs/gcp/guardrail.md', () => {
  test('the example synthesizes: router and guardrail wired, every reference resolves', () => {
    const markdown = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'gcp', 'guardrail.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    const { code } = require('@swc/core').transformSync(source, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdktf = require('cdktf');
    const apps: InstanceType<typeof cdktf.App>[] = [];
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-guardrail-doc-'));
    class DocApp extends cdktf.App {
      constructor() {
        super({ outdir, stackTraces: false });
        apps.push(this);
      }
      synth(): void {} // the test synthesizes below
    }
    const modules: Record<string, unknown> = { cdktf: { ...cdktf, App: DocApp }, 'ai-stack-constructs': require('../../lib/design'), 'ai-stack-constructs/gcp': require('../../lib/gcp') };
    new Function('require', 'exports', 'module', code)((id: string) => modules[id] ?? require(id), {}, { exports: {} });
    expect(apps).toHaveLength(1);
    const stack = apps[0].node.children.find((c: unknown) => c instanceof cdktf.TerraformStack);
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
    expect(unresolvedReferences(json)).toEqual([]);
    expect(envOf(json).AI_STACK_GUARD_MODEL_ARMOR_TEMPLATE).toBe(ref(addressOf(json, 'google_model_armor_template'), 'id'));
    expect(Object.values(resourcesOf(json, 'google_project_iam_member')).map((g) => g.role)).toContain('roles/modelarmor.user');
  });
});
