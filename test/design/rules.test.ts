// One negative test per rule of the neutral model (and a positive one at each bound), as tables.
import { collectProblems, MAX_TENANT_BUDGET_USD, type AiStackDesign } from '../../lib/design';
import { smallDesign } from '../fixtures/designs';

type Cloud = 'aws' | 'gcp' | 'azure';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Design = any;

function problems(design: unknown, clouds?: Cloud[]): string[] {
  return collectProblems(design as AiStackDesign, { clouds }).all.map((p) => `${p.path}: ${p.message}`);
}

/** A design with a vector store and guardrails as well, so every section's rules run. */
function fullDesign(): Design {
  const d = smallDesign();
  d.vectorStore = { name: 'docs' };
  d.guardrails = { deniedTopics: [{ name: 'advice', definition: 'Investment advice.' }] };
  return d;
}

/** [what, change to a valid design, path of the one problem expected there, message it matches]. */
type Case = readonly [string, (d: Design) => void, string, RegExp];

function expectOnly(cases: readonly Case[], clouds?: Cloud[]): void {
  test.each(cases)('%s', (_what, change, path, message) => {
    const d = fullDesign();
    expect(problems(d, clouds)).toEqual([]);
    change(d);
    const found = problems(d, clouds);
    const atPath = found.filter((p) => p.startsWith(`${path}: `));
    expect(atPath).toHaveLength(1);
    expect(atPath[0].slice(path.length + 2)).toMatch(message);
    for (const p of found) expect(p).not.toMatch(/\bundefined\b|\[object Object\]/);
  });
}

/** [what, change that stays valid (a bound itself)]. */
function expectValid(cases: readonly (readonly [string, (d: Design) => void])[], clouds?: Cloud[]): void {
  test.each(cases)('%s is valid', (_what, change) => {
    const d = fullDesign();
    change(d);
    expect(problems(d, clouds)).toEqual([]);
  });
}

const route = (d: Design) => d.router.routes[0];
const tenant = (d: Design) => d.router.tenants[0];
const tiered = (d: Design, limits: (number | undefined)[]) => {
  d.router.routes[0] = { name: 'chat', strategy: 'tiered', targets: [], tiers: limits.map((maxPromptTokens, i) => ({ name: `t${i}`, maxPromptTokens, targets: [{ model: 'haiku' }] })) };
};

describe('router numbers', () => {
  // Bounds every cloud shares; Azure's tighter ones (Flex Consumption sizes, the 40-instance floor,
  // the 230 s front end) are its own rules, tested in test/azure/model-router.test.ts.
  expectValid([
    ['timeoutMs 100 and 900000', (d) => { route(d).timeoutMs = 100; d.router.routes.push({ name: 'slow', targets: [{ model: 'haiku' }], timeoutMs: 900000, deadlineMs: 900000 }); d.router.deployment = { timeoutSeconds: 900 }; }],
    ['the smallest and largest deployment', (d) => { d.router.deployment = { memoryMiB: 512, timeoutSeconds: 900, maxConcurrentRequests: 1, logRetentionDays: 1 }; d.router.alarms = { errorRatePercent: 100, p99LatencyMs: 1, evaluationMinutes: 60 }; }],
  ], ['aws', 'gcp']);
  expectOnly([
    ['too little memory', (d) => (d.router.deployment = { memoryMiB: 256 }), 'router.deployment.memoryMiB', /512/],
  ], ['aws', 'gcp']);
  expectOnly([
    ['maxPromptTokens below 1', (d) => tiered(d, [-5, undefined]), 'router.routes[0].tiers[0].maxPromptTokens', /^must be a whole number >= 1 \(got -5\)$/],
    ['maxPromptTokens not whole', (d) => tiered(d, [10.5, undefined]), 'router.routes[0].tiers[0].maxPromptTokens', /^must be a whole number >= 1 \(got 10\.5\)$/],
    ['maxPromptTokens not increasing', (d) => tiered(d, [4000, 4000, undefined]), 'router.routes[0].tiers[1].maxPromptTokens', /^must be greater than router\.routes\[0\]\.tiers\[0\]\.maxPromptTokens \(4000 <= 4000\): tiers are tried in order/],
    ['maxPromptTokens missing before the last tier', (d) => tiered(d, [undefined, 10]), 'router.routes[0].tiers[0].maxPromptTokens', /^is required on every tier but the last$/],
    ['duplicate tier names', (d) => { tiered(d, [10, undefined]); d.router.routes[0].tiers[1].name = 't0'; }, 'router.routes[0].tiers[1].name', /^duplicate tier name 't0' \(also router\.routes\[0\]\.tiers\[0\]\.name\)$/],
    ['timeoutMs not whole', (d) => (route(d).timeoutMs = 100.5), 'router.routes[0].timeoutMs', /^must be a whole number between 100 and 900000 ms \(got 100\.5\)$/],
    ['timeoutMs below 100', (d) => (route(d).timeoutMs = 99), 'router.routes[0].timeoutMs', /^must be a whole number between 100 and 900000 ms \(got 99\)$/],
    ['timeoutMs above 900000', (d) => Object.assign(route(d), { timeoutMs: 900001, deadlineMs: 1000000 }), 'router.routes[0].timeoutMs', /between 100 and 900000 ms \(got 900001\)/],
    ['deadlineMs not whole', (d) => (route(d).deadlineMs = 60000.5), 'router.routes[0].deadlineMs', /^must be a whole number >= 1 ms \(got 60000\.5\)$/],
    ['deadlineMs below the default timeout', (d) => (route(d).deadlineMs = 1000), 'router.routes[0].deadlineMs', /^must be >= timeoutMs \(1000 < 30000\)$/],
    ['timeoutMs above the default deadline', (d) => (route(d).timeoutMs = 90000), 'router.routes[0].deadlineMs', /^must be >= timeoutMs \(60000 < 90000\): the default deadline is 60000 ms; set deadlineMs$/],
    ['retries above 10', (d) => (route(d).retries = 11), 'router.routes[0].retries', /^must be a whole number between 0 and 10 \(got 11\)$/],
    ['retries not whole', (d) => (route(d).retries = 1.5), 'router.routes[0].retries', /whole number between 0 and 10 \(got 1\.5\)/],
    ['weight 0', (d) => (route(d).targets[0].weight = 0), 'router.routes[0].targets[0].weight', /^must be > 0 \(got 0\)$/],
    ['weight negative', (d) => (route(d).targets[0].weight = -2), 'router.routes[0].targets[0].weight', /^must be > 0 \(got -2\)$/],
    ['a negative input price', (d) => (d.router.models[0].inputPer1kUsd = -0.01), 'router.models[0].inputPer1kUsd', /^must be >= 0 USD \(got -0\.01\)$/],
    ['a negative output price', (d) => (d.router.models[0].outputPer1kUsd = -1), 'router.models[0].outputPer1kUsd', /^must be >= 0 USD \(got -1\)$/],
    ['a context window of 0', (d) => (d.router.models[0].contextWindowTokens = 0), 'router.models[0].contextWindowTokens', /^must be a whole number >= 1 \(got 0\)$/],
    ['a context window not whole', (d) => (d.router.models[0].contextWindowTokens = 1000.5), 'router.models[0].contextWindowTokens', /whole number >= 1 \(got 1000\.5\)/],
    ['a tenant budget of 0', (d) => (tenant(d).monthlyBudgetUsd = 0), 'router.tenants[0].monthlyBudgetUsd', /^must be > 0 and <= 9007199 USD \(got 0\)$/],
    ['a tenant budget above what the ledger counts exactly', (d) => (tenant(d).monthlyBudgetUsd = 1e7), 'router.tenants[0].monthlyBudgetUsd', /<= 9007199 USD \(got 10000000\)/],
    ['requestsPerMinute 0', (d) => (tenant(d).requestsPerMinute = 0), 'router.tenants[0].requestsPerMinute', /^must be a whole number >= 1 \(got 0\)$/],
    ['tokensPerMinute not whole', (d) => (tenant(d).tokensPerMinute = 0.5), 'router.tenants[0].tokensPerMinute', /^must be a whole number >= 1 \(got 0\.5\)$/],
    ['failureThreshold 0', (d) => (d.router.circuitBreaker = { failureThreshold: 0 }), 'router.circuitBreaker.failureThreshold', /^must be a whole number >= 1 \(got 0\)$/],
    ['windowSeconds not whole (the runtime counts whole ms)', (d) => (d.router.circuitBreaker = { windowSeconds: 0.0001 }), 'router.circuitBreaker.windowSeconds', /^must be a whole number >= 1 s \(got 0\.0001\)$/],
    ['cooldownSeconds negative', (d) => (d.router.circuitBreaker = { cooldownSeconds: -30 }), 'router.circuitBreaker.cooldownSeconds', /^must be a whole number >= 1 s \(got -30\)$/],
    ['traffic requestsPerDay negative', (d) => (d.router.traffic = [{ route: 'chat', requestsPerDay: -1, avgInputTokens: 1, avgOutputTokens: 1 }]), 'router.traffic[0].requestsPerDay', /^must be >= 0 \(got -1\)$/],
    ['traffic avgInputTokens negative', (d) => (d.router.traffic = [{ route: 'chat', requestsPerDay: 1, avgInputTokens: -1, avgOutputTokens: 1 }]), 'router.traffic[0].avgInputTokens', /^must be >= 0 \(got -1\)$/],
    ['traffic avgOutputTokens negative', (d) => (d.router.traffic = [{ route: 'chat', requestsPerDay: 1, avgInputTokens: 1, avgOutputTokens: -1 }]), 'router.traffic[0].avgOutputTokens', /^must be >= 0 \(got -1\)$/],
    ['traffic of no route', (d) => (d.router.traffic = [{ route: 'ghost', requestsPerDay: 1, avgInputTokens: 1, avgOutputTokens: 1 }]), 'router.traffic[0].route', /^names no route \(got 'ghost'\); routes: 'chat'$/],
    ['a tenant route that does not exist', (d) => (tenant(d).routes = ['ghost']), 'router.tenants[0].routes[0]', /^names no route \(got 'ghost'\); routes: 'chat'$/],
    ['an empty route name', (d) => (route(d).name = ' '), 'router.routes[0].name', /^must not be empty \(got ' '\)/],
    ['a model id with capitals', (d) => { d.router.models[0].id = 'Haiku'; route(d).targets[0].model = 'Haiku'; }, 'router.models[0].id', /got 'Haiku'/],
    ['duplicate target ids', (d) => (d.router.models[1].id = 'haiku'), 'router.models[1].id', /^duplicate target id 'haiku' \(also router\.models\[0\]\.id\)$/],
    ['an embedding model as a chat target', (d) => (d.router.models[0].model = 'titan-embed-text-v2'), 'router.models[0].model', /is an embedding model/],
    ['tiers on a route that is not tiered', (d) => (route(d).tiers = []), 'router.routes[0].tiers', /only apply to strategy 'tiered' \(strategy is 'weighted'\)/],
    ['no routes', (d) => (d.router.routes = []), 'router.routes', /^must list at least one route$/],
    ['a deadline past the function timeout', (d) => { route(d).deadlineMs = 120000; d.router.deployment = { timeoutSeconds: 60 }; }, 'router.routes[0].deadlineMs', /^must be at most router\.deployment\.timeoutSeconds × 1000 \(120000 > 60000\)/],
    ['a timeout past Lambda', (d) => (d.router.deployment = { timeoutSeconds: 901 }), 'router.deployment.timeoutSeconds', /900/],
    ['a fractional concurrency', (d) => (d.router.deployment = { maxConcurrentRequests: 1.5 }), 'router.deployment.maxConcurrentRequests', /whole/],
    ['a zero error rate', (d) => (d.router.alarms = { errorRatePercent: 0 }), 'router.alarms.errorRatePercent', /greater than 0|> 0/],
    ['the model server key in server.env of an endpoint the router calls', (d) => (d.endpoints![0].server.env = { VLLM_API_KEY: 'x' }), 'endpoints[0].server.env.VLLM_API_KEY', /^must not be set: the router calls this endpoint/],
    ['--api-key in server.args of an endpoint the router calls', (d) => (d.endpoints![0].server.args = ['--api-key=abc']), 'endpoints[0].server.args[0]', /^must not set --api-key/],
    ['an unknown deployment field', (d) => ((d.router as any).deployment = { memoryMB: 1024 }), 'router.deployment.memoryMB', /memoryMiB/],
  ]);
  expectValid([
    ['--api-key on an endpoint the router does not call', (d) => d.endpoints!.push({ ...d.endpoints![0], name: 'free', server: { ...d.endpoints![0].server, args: ['--api-key', 'k'] } })],
    ['retries 0 and 10', (d) => { route(d).retries = 0; d.router.routes.push({ name: 'r10', targets: [{ model: 'haiku' }], retries: 10 }); }],
    ['a fractional weight and zero prices', (d) => { route(d).targets[0].weight = 0.25; d.router.models[0].inputPer1kUsd = 0; }],
    ['increasing tier limits', (d) => tiered(d, [1, 2, undefined])],
    ['the largest tenant budget', (d) => (tenant(d).monthlyBudgetUsd = MAX_TENANT_BUDGET_USD)],
    ['whole breaker numbers', (d) => (d.router.circuitBreaker = { failureThreshold: 1, windowSeconds: 1, cooldownSeconds: 3600 })],
    ['zero traffic', (d) => (d.router.traffic = [{ route: 'chat', requestsPerDay: 0, avgInputTokens: 0.5, avgOutputTokens: 0 }])],
  ]);
});

describe('budget rules', () => {
  expectOnly([
    ['a limit of 0', (d) => (d.budget.monthlyLimitUsd = 0), 'budget.monthlyLimitUsd', /^must be > 0 USD \(got 0\)$/],
    ['a negative limit', (d) => (d.budget.monthlyLimitUsd = -100), 'budget.monthlyLimitUsd', /^must be > 0 USD \(got -100\)$/],
    ['a threshold of 0 percent', (d) => (d.budget.thresholds = [{ percent: 0 }]), 'budget.thresholds[0].percent', /^must be between 1 and 1000 percent \(got 0\)$/],
    ['a threshold above 1000 percent', (d) => (d.budget.thresholds = [{ percent: 1000.5 }]), 'budget.thresholds[0].percent', /between 1 and 1000 percent \(got 1000\.5\)/],
    ['a duplicate threshold', (d) => (d.budget.thresholds = [{ percent: 80 }, { percent: 80, type: 'actual' }]), 'budget.thresholds[1]', /^duplicate threshold: 80 percent actual \(also budget\.thresholds\[0\]\)$/],
    ['a hard stop at 0 percent', (d) => (d.budget.hardStop = { atPercent: 0 }), 'budget.hardStop.atPercent', /^must be between 1 and 1000 percent \(got 0\)$/],
    ['a hard stop above 1000 percent', (d) => (d.budget.hardStop = { atPercent: 1001 }), 'budget.hardStop.atPercent', /\(got 1001\)/],
    ['no address', (d) => (d.budget.notifyEmails = []), 'budget.notifyEmails', /^must list at least one address$/],
    ['not an address', (d) => (d.budget.notifyEmails = ['ops@']), 'budget.notifyEmails[0]', /^must be an email address of at most 254 characters \(got 'ops@'\)$/],
    ['an address too long', (d) => (d.budget.notifyEmails = [`${'a'.repeat(250)}@example.com`]), 'budget.notifyEmails[0]', /at most 254 characters \(got 'a{200}… \(62 more characters\)'\)/],
    ['a duplicate address', (d) => (d.budget.notifyEmails = ['ops@example.com', 'OPS@example.com']), 'budget.notifyEmails[1]', /^duplicate address 'OPS@example.com' \(also budget\.notifyEmails\[0\]\)$/],
  ]);
  expectValid([
    ['thresholds at 1 and 1000 percent, the same percent as actual and forecast', (d) => (d.budget.thresholds = [{ percent: 1 }, { percent: 1000 }, { percent: 100 }, { percent: 100, type: 'forecast' }])],
    ['a fractional threshold', (d) => (d.budget.thresholds = [{ percent: 12.5 }])],
    ['a hard stop at 1000 percent', (d) => (d.budget.hardStop = { atPercent: 1000 })],
  ]);
});

describe('vector store rules', () => {
  expectOnly([
    ['maxTokens below 20', (d) => (d.vectorStore.chunking = { maxTokens: 19 }), 'vectorStore.chunking.maxTokens', /^must be a whole number between 20 and 8192 \(got 19\)$/],
    ['maxTokens not whole', (d) => (d.vectorStore.chunking = { maxTokens: 300.5 }), 'vectorStore.chunking.maxTokens', /\(got 300\.5\)/],
    ['maxTokens above 8192', (d) => (d.vectorStore.chunking = { maxTokens: 8193 }), 'vectorStore.chunking.maxTokens', /\(got 8193\)/],
    ['overlap 0', (d) => (d.vectorStore.chunking = { overlapPercent: 0 }), 'vectorStore.chunking.overlapPercent', /^must be a whole number between 1 and 99 percent \(got 0\)$/],
    ['overlap not whole', (d) => (d.vectorStore.chunking = { overlapPercent: 20.5 }), 'vectorStore.chunking.overlapPercent', /\(got 20\.5\)/],
    ['overlap 100', (d) => (d.vectorStore.chunking = { overlapPercent: 100 }), 'vectorStore.chunking.overlapPercent', /\(got 100\)/],
    ['a changed share above 100%', (d) => (d.vectorStore.expectedChangedPercent = 101), 'vectorStore.expectedChangedPercent', /^must be between 0 and 100 percent \(got 101\)$/],
    ['queries not whole', (d) => (d.vectorStore.expectedQueriesPerMonth = 10.5), 'vectorStore.expectedQueriesPerMonth', /^must be a whole number between 0 and 1000000000000 \(got 10\.5\)$/],
    ['a negative corpus size', (d) => (d.vectorStore.expectedSourceGiB = -1), 'vectorStore.expectedSourceGiB', /^must be between 0 and 1048576 GiB \(got -1\)$/],
    ['a name with capitals', (d) => (d.vectorStore.name = 'Docs'), 'vectorStore.name', /got 'Docs'/],
    ['a refresh schedule that is not cron', (d) => (d.vectorStore.refreshSchedule = 'daily'), 'vectorStore.refreshSchedule', /five-field cron .*\(got 'daily'\)/],
    ['an unknown embedding model', (d) => (d.vectorStore.embeddingModels = { gcp: 'nope' }), 'vectorStore.embeddingModels.gcp', /^unknown model 'nope'; gcp needs a vertex embedding model of the model catalog, e\.g\. 'text-embedding-005'$/],
    ['a chat model for embeddings', (d) => (d.vectorStore.embeddingModels = { aws: 'claude-3-5-haiku' }), 'vectorStore.embeddingModels.aws', /is a chat model/],
    ['an embedding model of another cloud', (d) => (d.vectorStore.embeddingModels = { azure: 'titan-embed-text-v2' }), 'vectorStore.embeddingModels.azure', /is a bedrock model; azure needs a azure-openai embedding model/],
    ['dot-product on AWS', (d) => (d.vectorStore.distance = 'dot-product'), 'vectorStore.distance', /not offered on AWS: S3 Vectors/i],
  ]);
  expectValid([
    ['chunking lower bounds', (d) => (d.vectorStore.chunking = { maxTokens: 20, overlapPercent: 1 })],
    ['an empty corpus', (d) => (d.vectorStore.expectedSourceGiB = 0)],
    ['a corpus that never changes or changes whole', (d) => (d.vectorStore.expectedChangedPercent = 0)],
  ]);
  // The neutral upper bound; Google Cloud's embedding models take 2048 (test/gcp/vector-store.test.ts).
  expectValid([['chunking bounds', (d) => (d.vectorStore.chunking = { maxTokens: 8192, overlapPercent: 99 })]], ['aws']);
  test('dot-product is fine where AWS is not a target', () => {
    const d = fullDesign();
    d.vectorStore.distance = 'dot-product';
    expect(problems(d, ['gcp'])).toEqual([]);
  });
});

describe('guardrail rules', () => {
  const topic = (d: Design) => d.guardrails.deniedTopics[0];
  expectOnly([
    ['a definition over 200 characters', (d) => (topic(d).definition = 'd'.repeat(201)), 'guardrails.deniedTopics[0].definition', /^must be at most 200 characters \(got 201: 'd{200}… \(1 more characters\)'\)$/],
    ['an empty definition', (d) => (topic(d).definition = ''), 'guardrails.deniedTopics[0].definition', /^must not be empty \(got ''\)$/],
    ['six examples', (d) => (topic(d).examples = ['a', 'b', 'c', 'd', 'e', 'f']), 'guardrails.deniedTopics[0].examples', /^must list at most 5 examples \(got 6\)$/],
    ['an example over 100 characters', (d) => (topic(d).examples = ['e'.repeat(101)]), 'guardrails.deniedTopics[0].examples[0]', /at most 100 characters \(got 101/],
    ['a topic name with a slash', (d) => (topic(d).name = 'a/b'), 'guardrails.deniedTopics[0].name', /got 'a\/b'/],
    ['a duplicate topic', (d) => d.guardrails.deniedTopics.push({ name: 'Advice', definition: 'x' }), 'guardrails.deniedTopics[1].name', /^duplicate denied topic 'Advice' \(also guardrails\.deniedTopics\[0\]\.name\)$/],
    ['31 topics', (d) => (d.guardrails.deniedTopics = Array.from({ length: 31 }, (_, i) => ({ name: `t${i}`, definition: 'x' }))), 'guardrails.deniedTopics', /^must list at most 30 topics \(got 31\)$/],
    ['a blank blocked word', (d) => (d.guardrails.blockedWords = ['  ']), 'guardrails.blockedWords[0]', /^must not be empty/],
    ['a blocked word over 100 characters', (d) => (d.guardrails.blockedWords = ['w'.repeat(101)]), 'guardrails.blockedWords[0]', /at most 100 characters \(got 101/],
    ['an empty blocked message', (d) => (d.guardrails.blockedMessage = ''), 'guardrails.blockedMessage', /^must not be empty/],
    ['a blocked message over 500 characters', (d) => (d.guardrails.blockedMessage = 'm'.repeat(501)), 'guardrails.blockedMessage', /at most 500 characters \(got 501/],
  ]);
  expectValid([['five examples of 100 characters', (d) => (topic(d).examples = Array(5).fill('e'.repeat(100)))]]);
});

describe('tag rules', () => {
  expectOnly(
    [
      ['an extra tag that replaces a standard one', (d) => (d.tags.extra = { team: 'other' }), 'tags.extra.team', /^would replace the standard tag 'team'; set it with tags\.team instead$/],
      ['an empty extra key', (d) => (d.tags.extra = { '': 'v' }), 'tags.extra[""]', /^key must not be empty/],
      ['a reserved prefix', (d) => (d.tags.extra = { 'aws:owner': 'x' }), 'tags.extra.aws:owner', /prefix reserved/],
      ['an AWS value with a character AWS refuses', (d) => (d.tags.extra = { owner: 'a#b' }), 'tags.extra.owner', /^AWS tag values allow .* \(got 'a#b'\)$/],
      ['50 tags on AWS (the stack adds Name)', (d) => (d.tags.extra = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, 'v']))), 'tags.extra', /^aws takes at most 49 tags from the design \(got 50: the 4 standard tags and 46 extra\)$/],
    ],
    ['aws'],
  );
  expectOnly(
    [
      ['keys that differ only in case', (d) => (d.tags.extra = { Owner: 'a', owner: 'b' }), 'tags.extra.owner', /^Azure tag keys ignore case, so 'owner' and 'Owner' are the same tag \(tags\.extra\.Owner\)$/],
      ['51 tags on Azure', (d) => (d.tags.extra = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`k${i}`, 'v']))), 'tags.extra', /^azure takes at most 50 tags/],
    ],
    ['azure'],
  );
  expectOnly(
    [['64 labels on GCP (the provider adds goog-terraform-provisioned)', (d) => (d.tags.extra = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v']))), 'tags.extra', /^gcp takes at most 63 tags from the design \(got 64/]],
    ['gcp'],
  );
  expectValid([['49 tags on AWS', (d) => (d.tags.extra = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, 'v'])))]], ['aws']);
  expectValid([['63 labels on GCP', (d) => (d.tags.extra = Object.fromEntries(Array.from({ length: 59 }, (_, i) => [`k${i}`, 'v'])))]], ['gcp']);
});

describe('top-level rules: name, region, accounts, prices', () => {
  expectOnly([
    ['a name with capitals', (d) => (d.name = 'Demo'), 'name', /^must be 3-20 lowercase letters, digits or hyphens starting with a letter \(got 'Demo'\)$/],
    ['an AWS region that is not one', (d) => (d.region.aws = 'us-east'), 'region.aws', /^is not a aws region name \(got 'us-east', e\.g\. 'us-east-1'\)$/],
    ['an AWS account of 11 digits', (d) => (d.accounts = { aws: '12345678901' }), 'accounts.aws', /^must be a 12-digit AWS account id \(got '12345678901'\)$/],
    ['an AWS account with letters', (d) => (d.accounts = { aws: '12345678901a' }), 'accounts.aws', /12-digit AWS account id \(got '12345678901a'\)/],
    ['a GCP project id with capitals', (d) => (d.accounts = { gcp: 'My-Project' }), 'accounts.gcp', /^must be a GCP project id: 6-30 lowercase letters.* \(got 'My-Project'\)$/],
    ['a GCP project id too short', (d) => (d.accounts = { gcp: 'proj' }), 'accounts.gcp', /GCP project id.*\(got 'proj'\)/],
    ['a GCP project id ending with a hyphen', (d) => (d.accounts = { gcp: 'my-project-' }), 'accounts.gcp', /\(got 'my-project-'\)/],
    ['an Azure subscription that is not a GUID', (d) => (d.accounts = { azure: 'sub-1' }), 'accounts.azure', /^must be an Azure subscription id \(a GUID .*\) \(got 'sub-1'\)$/],
    ['a negative on-demand price', (d) => (d.prices = { instances: { 'g6.xlarge': { onDemandHourlyUsd: -1 } } }), 'prices.instances["g6.xlarge"].onDemandHourlyUsd', /^must be >= 0 USD \(got -1\)$/],
    ['a negative spot price', (d) => (d.prices = { instances: { 'g6.xlarge': { spotHourlyUsd: -0.5 } } }), 'prices.instances["g6.xlarge"].spotHourlyUsd', /^must be >= 0 USD \(got -0\.5\)$/],
    ['a negative committed price', (d) => (d.prices = { instances: { 'g6.xlarge': { committed1yHourlyUsd: -2 } } }), 'prices.instances["g6.xlarge"].committed1yHourlyUsd', /^must be >= 0 USD \(got -2\)$/],
    ['a negative input token price', (d) => (d.prices = { models: { 'gpt-4o-mini': { inputPer1kUsd: -1 } } }), 'prices.models.gpt-4o-mini.inputPer1kUsd', /^must be >= 0 USD \(got -1\)$/],
    ['a negative output token price', (d) => (d.prices = { models: { 'gpt-4o-mini': { outputPer1kUsd: -1 } } }), 'prices.models.gpt-4o-mini.outputPer1kUsd', /^must be >= 0 USD \(got -1\)$/],
    ['a price for an instance type nothing uses', (d) => (d.prices = { instances: { 'g6.xlarg': { onDemandHourlyUsd: 1 } } }), 'prices.instances["g6.xlarg"]', /^is not an instance type of the accelerator catalog, so nothing would use this price \(did you mean 'g6\.xlarge'\?\)/],
    ['a price for a model nothing uses', (d) => (d.prices = { models: { 'gpt-4o-mni': { inputPer1kUsd: 1 } } }), 'prices.models.gpt-4o-mni', /^is not a model id of the model catalog, so nothing would use this price \(did you mean 'gpt-4o-mini'\?\)/],
  ]);
  expectValid([
    ['valid accounts', (d) => (d.accounts = { aws: '123456789012', gcp: 'my-project-1', azure: '00000000-0000-0000-0000-000000000000' })],
    ['zero prices', (d) => (d.prices = { instances: { 'g6.xlarge': { onDemandHourlyUsd: 0, spotHourlyUsd: 0, committed1yHourlyUsd: 0 } }, models: { 'gpt-4o-mini': { inputPer1kUsd: 0, outputPer1kUsd: 0 } } })],
  ]);
});

// These rules live in lib/design/gpu-endpoint.ts (owned elsewhere); the tests check the key parts of
// their messages: the path, the bound and the value received.
describe('GPU endpoint rules without a negative test before', () => {
  const e = (d: Design) => d.endpoints[0];
  expectOnly([
    ['expectedAverage below min', (d) => (e(d).capacity.expectedAverage = 1), 'endpoints[0].capacity.expectedAverage', /between capacity\.min and capacity\.max \(2\.\.6, got 1\)/],
    ['expectedAverage above max', (d) => (e(d).capacity.expectedAverage = 7), 'endpoints[0].capacity.expectedAverage', /\(2\.\.6, got 7\)/],
    ['rootVolumeGiB below 50', (d) => (e(d).rootVolumeGiB = 49), 'endpoints[0].rootVolumeGiB', /whole number between 50 and 16384.*\(got 49\)/],
    ['rootVolumeGiB above 16384', (d) => (e(d).rootVolumeGiB = 16385), 'endpoints[0].rootVolumeGiB', /between 50 and 16384.*\(got 16385\)/],
    ['rootVolumeGiB not whole', (d) => (e(d).rootVolumeGiB = 100.5), 'endpoints[0].rootVolumeGiB', /whole number.*\(got 100\.5\)/],
    ['server.port below 1024', (d) => (e(d).server.port = 80), 'endpoints[0].server.port', /between 1024 and 65535.*\(got 80\)/],
    ['server.port above 65535', (d) => (e(d).server.port = 65536), 'endpoints[0].server.port', /between 1024 and 65535.*\(got 65536\)/],
    ['server.port not whole', (d) => (e(d).server.port = 8000.5), 'endpoints[0].server.port', /\(got 8000\.5\)/],
    ['server.healthPath without a leading slash', (d) => (e(d).server.healthPath = 'health'), 'endpoints[0].server.healthPath', /must start with '\/' \(got 'health'\)/],
    ['server.healthPath over 1024 characters', (d) => (e(d).server.healthPath = `/${'h'.repeat(1024)}`), 'endpoints[0].server.healthPath', /at most 1024 characters \(got 1025\)/],
  ]);
  expectValid([
    ['the bounds of expectedAverage, rootVolumeGiB and port', (d) => Object.assign(e(d), { capacity: { min: 2, max: 6, expectedAverage: 6 }, rootVolumeGiB: 50, server: { ...e(d).server, port: 65535, healthPath: '/' } })],
    ['the other bounds', (d) => Object.assign(e(d), { capacity: { min: 2, max: 6, expectedAverage: 2 }, rootVolumeGiB: 16384, server: { ...e(d).server, port: 1024 } })],
  ]);
});
