import { Accelerator, collectProblems, DesignError, validateDesign, type AiStackDesign } from '../../lib/design';
import { Lazy } from 'aws-cdk-lib';
import { Lazy as TfLazy, Token as TfToken } from 'cdktf';
import { smallDesign } from '../fixtures/designs';

/** The problems of a design as `path: message` strings. */
function problems(design: unknown, clouds?: ('aws' | 'gcp' | 'azure')[]): string[] {
  return collectProblems(design as AiStackDesign, { clouds }).all.map((p) => `${p.path}: ${p.message}`);
}

/** Asserts exactly one problem at `path` whose message matches. */
function expectProblem(design: unknown, path: string, message: RegExp, clouds?: ('aws' | 'gcp' | 'azure')[]): void {
  const found = problems(design, clouds);
  const atPath = found.filter((p) => p.startsWith(`${path}: `));
  expect(atPath).toHaveLength(1);
  expect(atPath[0]).toMatch(message);
}

describe('validateDesign', () => {
  test('accepts the small design and returns it', () => {
    const d = smallDesign();
    expect(validateDesign(d)).toBe(d);
    expect(problems(d)).toEqual([]);
  });

  test('name format', () => {
    const d = smallDesign();
    d.name = 'Demo_AI';
    expectProblem(d, 'name', /3-20 lowercase letters.*got 'Demo_AI'/);
  });

  test('region is required for each target cloud', () => {
    const d = smallDesign();
    delete d.region.gcp;
    expectProblem(d, 'region.gcp', /required to synthesize for gcp/, ['aws', 'gcp']);
    expect(problems(d, ['aws'])).toEqual([]);
  });

  test('region names must look like the cloud\'s', () => {
    const d = smallDesign();
    d.region.aws = 'us-central1';
    expectProblem(d, 'region.aws', /not a aws region name/);
  });

  test('capacity.max must be >= capacity.min', () => {
    const d = smallDesign();
    d.endpoints[0].capacity = { min: 4, max: 2 };
    d.endpoints[0].purchase = { reserved: 0, onDemandBase: 0 };
    expectProblem(d, 'endpoints[0].capacity.max', /must be >= capacity.min \(2 < 4\)/);
  });

  test('capacity.min must be a whole number >= 0', () => {
    const d = smallDesign();
    d.endpoints[0].capacity.min = -1;
    expectProblem(d, 'endpoints[0].capacity.min', /whole number >= 0 \(got -1\)/);
  });

  test('reserved + onDemandBase must fit under max', () => {
    const d = smallDesign();
    d.endpoints[0].purchase = { reserved: 4, onDemandBase: 3 };
    expectProblem(d, 'endpoints[0].purchase', /reserved \+ onDemandBase must be <= capacity.max \(4 \+ 3 > 6\)/);
  });

  test('reserved must not exceed max', () => {
    const d = smallDesign();
    d.endpoints[0].purchase = { reserved: 7 };
    expectProblem(d, 'endpoints[0].purchase.reserved', /must be <= capacity.max \(7 > 6\)/);
  });

  test('spot percent is 0..100', () => {
    const d = smallDesign();
    d.endpoints[0].purchase.spotPercentAboveBase = 120;
    expectProblem(d, 'endpoints[0].purchase.spotPercentAboveBase', /between 0 and 100.*\(got 120\)/);
  });

  test('accelerator count must be one the accelerator comes in on each cloud', () => {
    const d = smallDesign();
    d.endpoints[0].accelerator = 'nvidia-a100-40gb';
    d.endpoints[0].acceleratorsPerReplica = 1;
    // GCP offers a2-highgpu-1g; AWS (p4d) and Azure (ND96asr) come only with 8.
    expect(problems(d).filter((p) => p.startsWith('endpoints[0].acceleratorsPerReplica'))).toEqual([
      'endpoints[0].acceleratorsPerReplica: nvidia-a100-40gb on aws comes 8 per instance, not 1',
      'endpoints[0].acceleratorsPerReplica: nvidia-a100-40gb on azure comes 8 per instance, not 1',
    ]);
  });

  test('accelerators per replica is 1, 2, 4 or 8', () => {
    const d = smallDesign();
    d.endpoints[0].acceleratorsPerReplica = 3;
    expect(problems(d)).toContain('endpoints[0].acceleratorsPerReplica: must be 1, 2, 4 or 8 (got 3)');
  });

  test('unknown accelerator id', () => {
    const d = smallDesign();
    d.endpoints[0].accelerator = 'nvidia-b300';
    expectProblem(d, 'endpoints[0].accelerator', /unknown accelerator 'nvidia-b300'; known: nvidia-l4,/);
  });

  test('an accelerator a cloud does not offer names the override to set', () => {
    const d = smallDesign();
    d.endpoints[0].accelerator = Accelerator.NVIDIA_L4 as any;
    d.endpoints[0].acceleratorsPerReplica = 1;
    d.endpoints[0].purchase = {};
    expectProblem(d, 'endpoints[0].accelerator', /nvidia-l4 is not offered on azure.*set endpoints\[0\]\.acceleratorOverrides\.azure, e\.g\. to 'nvidia-a10g'/);
    d.endpoints[0].acceleratorOverrides = { azure: 'nvidia-a10g' };
    expect(problems(d)).toEqual([]);
  });

  test('spot on an accelerator the cloud sells no spot of', () => {
    const d = smallDesign();
    d.endpoints[0].accelerator = 'nvidia-h100';
    expectProblem(d, 'endpoints[0].purchase.spotPercentAboveBase', /nvidia-h100 x8 on azure .* has no spot offering; set it to 0/);
    d.endpoints[0].purchase.spotPercentAboveBase = 0;
    expect(problems(d)).toEqual([]);
  });

  test('duplicate endpoint names', () => {
    const d = smallDesign();
    d.endpoints.push({ ...d.endpoints[0] });
    expectProblem(d, 'endpoints[1].name', /duplicate endpoint name 'llm'/);
  });

  test('server image must pin a version', () => {
    const d = smallDesign();
    d.endpoints[0].server.image = 'vllm/vllm-openai:latest';
    expectProblem(d, 'endpoints[0].server.image', /pin a tag or digest/);
  });

  test('off-peak schedule must be cron and its minimum within capacity.min', () => {
    const d = smallDesign();
    d.endpoints[0].scaling = { offPeak: { start: 'at 8pm', end: '0 7 * * 1-5', min: 5 } };
    expect(problems(d)).toEqual([
      "endpoints[0].scaling.offPeak.start: must be a five-field cron such as '0 20 * * 1-5' (got 'at 8pm')",
      'endpoints[0].scaling.offPeak.min: must be between 0 and capacity.min (2), got 5',
    ]);
  });

  test('off-peak minimum must not drop below the reserved replicas', () => {
    const d = smallDesign();
    d.endpoints[0].purchase.reserved = 2;
    d.endpoints[0].scaling = { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 1 } };
    expectProblem(d, 'endpoints[0].scaling.offPeak.min', /must be >= purchase.reserved \(1 < 2\): reserved capacity is paid/);
  });

  test('off-peak time zone must be an IANA name, spelled as in the tz database', () => {
    const d = smallDesign();
    d.endpoints[0].scaling = { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 2, timeZone: 'Mars/Olympus' } };
    expectProblem(d, 'endpoints[0].scaling.offPeak.timeZone', /must be an IANA time zone name .*got 'Mars\/Olympus'/, ['aws', 'gcp']);
    d.endpoints[0].scaling.offPeak.timeZone = 'europe/berlin';
    expectProblem(d, 'endpoints[0].scaling.offPeak.timeZone', /must be spelled as in the tz database: 'Europe\/Berlin'/, ['aws', 'gcp']);
    d.endpoints[0].scaling.offPeak.timeZone = 'Europe/Berlin';
    expect(problems(d)).toEqual([]);
  });

  test('unknown model id at a provider', () => {
    const d = smallDesign();
    d.router.models[0].model = 'claude-9';
    expectProblem(d, 'router.models[0].model', /unknown model 'claude-9' for provider bedrock/);
  });

  test('a model of another provider', () => {
    const d = smallDesign();
    d.router.models[0].model = 'gpt-4o';
    expectProblem(d, 'router.models[0].model', /'gpt-4o' is a azure-openai model, not bedrock/);
  });

  test('endpoint target must name a GPU endpoint', () => {
    const d = smallDesign();
    d.router.models[3].model = 'nope';
    expectProblem(d, 'router.models[3].model', /names no GPU endpoint \(got 'nope'\); endpoints: 'llm'/);
  });

  test('route targets must name a model target', () => {
    const d = smallDesign();
    d.router.routes[0].targets[1].model = 'gpt-5';
    expectProblem(d, 'router.routes[0].targets[1].model', /names no model target \(got 'gpt-5'\)/);
  });

  test('fallbacks must name a model target', () => {
    const d = smallDesign();
    d.router.routes[0].fallbacks = ['ghost'];
    expectProblem(d, 'router.routes[0].fallbacks[0]', /names no model target \(got 'ghost'\)/);
  });

  test('weights must be positive', () => {
    const d = smallDesign();
    d.router.routes[0].targets[0].weight = 0;
    expectProblem(d, 'router.routes[0].targets[0].weight', /must be > 0 \(got 0\)/);
  });

  test('tiered routes need tiers and a limit on every tier but the last', () => {
    const d = smallDesign();
    d.router.routes[0] = { name: 'chat', strategy: 'tiered', targets: [], tiers: [{ name: 'small', targets: [{ model: 'own' }] }, { name: 'big', targets: [{ model: 'flash' }] }] };
    expectProblem(d, 'router.routes[0].tiers[0].maxPromptTokens', /required on every tier but the last/);
  });

  test('deadline must cover one attempt', () => {
    const d = smallDesign();
    d.router.routes[0].timeoutMs = 30000;
    d.router.routes[0].deadlineMs = 10000;
    expectProblem(d, 'router.routes[0].deadlineMs', /must be >= timeoutMs \(10000 < 30000\)/);
  });

  test('duplicate route names and tenant ids', () => {
    const d = smallDesign();
    d.router.routes.push({ ...d.router.routes[0] });
    d.router.tenants.push({ id: 'team-a', monthlyBudgetUsd: 5 });
    expect(problems(d)).toEqual([
      "router.routes[1].name: duplicate route name 'chat' (also router.routes[0].name)",
      "router.tenants[1].id: duplicate tenant id 'team-a' (also router.tenants[0].id)",
    ]);
  });

  test('tenant budget must be positive', () => {
    const d = smallDesign();
    d.router.tenants[0].monthlyBudgetUsd = 0;
    expectProblem(d, 'router.tenants[0].monthlyBudgetUsd', /must be > 0 and <= 9007199 USD \(got 0\)/);
  });

  test('budget thresholds are 1..1000 percent', () => {
    const d = smallDesign();
    d.budget.thresholds = [{ percent: 0 }, { percent: 80 }, { percent: 1200, type: 'forecast' }];
    expect(problems(d)).toEqual([
      'budget.thresholds[0].percent: must be between 1 and 1000 percent (got 0)',
      'budget.thresholds[2].percent: must be between 1 and 1000 percent (got 1200)',
    ]);
  });

  test('budget notification addresses', () => {
    const d = smallDesign();
    d.budget.notifyEmails = ['not-an-address'];
    expectProblem(d, 'budget.notifyEmails[0]', /must be an email address/);
  });

  test('GCP label rules: keys lowercase, values at most 63 characters', () => {
    const d = smallDesign();
    d.tags.extra = { CostOwner: 'x', note: 'y'.repeat(64) };
    expect(problems(d, ['gcp'])).toEqual([
      "tags.extra.CostOwner: GCP label keys must start with a lowercase letter and hold only lowercase letters, digits, _ and -, at most 63 characters (got 'CostOwner')",
      'tags.extra.note: GCP label values are at most 63 characters (got 64)',
    ]);
    expect(problems(d, ['aws'])).toEqual([]);
  });

  test('Azure forbids < > % & \\ ? / in tag keys', () => {
    const d = smallDesign();
    d.tags.extra = { 'owner/team': 'x' };
    expectProblem(d, 'tags.extra.owner/team', /Azure tag keys must not contain/, ['azure']);
    expect(problems(d, ['aws'])).toEqual([]);
  });

  test('AWS tag length limits (128-char keys, 256-char values)', () => {
    const d = smallDesign();
    d.tags.extra = { ['k'.repeat(129)]: 'v', long: 'v'.repeat(257) };
    const found = problems(d, ['aws']);
    expect(found).toContain(`tags.extra.${'k'.repeat(129)}: AWS tag keys are at most 128 characters (got 129)`);
    expect(found).toContain('tags.extra.long: AWS tag values are at most 256 characters (got 257)');
  });

  test('required tags must not be empty', () => {
    const d = smallDesign();
    d.tags.team = ' ';
    expect(problems(d, ['aws'])).toContain("tags.team: must not be empty (got ' ')");
  });

  test('unknown keys are reported with a suggestion', () => {
    const d = smallDesign();
    (d.endpoints[0] as any).acelerator = 'nvidia-l4';
    expect(problems(d)[0]).toMatch(/^endpoints\[0\]\.acelerator: unknown key \(did you mean 'accelerator'\?\)/);
  });

  test('wrong types and missing keys', () => {
    const d = smallDesign() as any;
    d.endpoints[0].capacity.max = 'ten';
    delete d.tags.team;
    expect(problems(d)).toEqual(['tags.team: is required', "endpoints[0].capacity.max: must be a number (got the string 'ten')"]);
  });

  test('every problem is reported at once in one DesignError', () => {
    const d = smallDesign();
    d.name = 'X';
    d.endpoints[0].capacity = { min: 4, max: 2 };
    d.endpoints[0].accelerator = 'nvidia-b300';
    d.router.routes[0].targets[0].weight = -1;
    d.budget.thresholds = [{ percent: 2000 }];
    let error: DesignError | undefined;
    try {
      validateDesign(d);
    } catch (e) {
      error = e as DesignError;
    }
    expect(error).toBeInstanceOf(DesignError);
    const paths = error!.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'endpoints[0].capacity.max', 'endpoints[0].accelerator', 'router.routes[0].targets[0].weight', 'budget.thresholds[0].percent']));
    expect(error!.message).toMatch(/^invalid design \(\d+ problems\):\n  - /);
    expect(error!.message).toContain('endpoints[0].capacity.max: must be >= capacity.min (2 < 4)');
  });

  test('unresolved tokens are not validated as literals', () => {
    const d = smallDesign();
    // Fields a construct can take as tokens (the fleet-plan numbers and the router's fields are
    // refused as tokens by their own rules): a CDK list token, a cdktf number token.
    d.budget.notifyEmails = Lazy.list({ produce: () => ['not-an-address'] });
    d.budget.monthlyLimitUsd = TfToken.asNumber(TfLazy.anyValue({ produce: () => -5 }));
    expect(problems(d)).toEqual([]);
  });

  test('a token in the router is refused once, whatever the clouds: every cloud fixes its config at synth', () => {
    const d = smallDesign();
    d.router.routes[0].targets[0].weight = Lazy.number({ produce: () => -1 });
    d.router.routes[0].timeoutMs = TfLazy.numberValue({ produce: () => 5 });
    d.router.tenants[0].id = Lazy.string({ produce: () => 'Bad Id' });
    const literal = "must be a literal, not an unresolved token: the deployed router's config, size and alarms are fixed at synth. Pass the value itself";
    expect(problems(d)).toEqual([
      `router.routes[0].targets[0].weight: ${literal}`,
      `router.routes[0].timeoutMs: ${literal}`,
      `router.tenants[0].id: ${literal}`,
    ]);
  });
});
