import { estimateMonthlyCost, isDeployed, splitReplicas, loadDesign, type AiStackDesign } from '../../lib/design';
import { cronRunsPerMonth } from '../../lib/design/cron-count';
import { embeddingCost, vectorStoreCostItems } from '../../lib/design/vector-store-cost';
import { join } from 'node:path';

/** One L4 endpoint on AWS: min 3, max 10, expected 5, 1 reserved, 1 on-demand base, 50% spot. */
function awsDesign(extra: Partial<AiStackDesign> = {}): AiStackDesign {
  return {
    name: 'est-demo',
    region: { aws: 'us-east-1' },
    tags: { team: 't', costCenter: 'c', environment: 'e', application: 'a' },
    endpoints: [
      {
        name: 'llm',
        accelerator: 'nvidia-l4',
        server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' },
        capacity: { min: 3, max: 10, expectedAverage: 5 },
        purchase: { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 50 },
      },
    ],
    ...extra,
  };
}

describe('splitReplicas', () => {
  test('base first, then the on-demand share rounded up', () => {
    expect(splitReplicas(5, 1, 1, 50)).toEqual({ reserved: 1, onDemand: 3, spot: 1 });
    expect(splitReplicas(10, 1, 1, 70)).toEqual({ reserved: 1, onDemand: 4, spot: 5 });
    expect(splitReplicas(1, 2, 1, 70)).toEqual({ reserved: 1, onDemand: 0, spot: 0 });
    expect(splitReplicas(4, 0, 0, 100)).toEqual({ reserved: 0, onDemand: 0, spot: 4 });
  });
});

describe('estimateMonthlyCost', () => {
  test('hand-checked GPU fleet figures (g6.xlarge: $0.8048 on-demand, $0.5151 committed, $0.3219 spot)', () => {
    const aws = estimateMonthlyCost(awsDesign()).clouds[0];
    const fleet = aws.lines.filter((l) => l.component === 'gpu-fleet');
    // 5 replicas: 1 reserved, 1 on-demand base, 3 above the base at 50% spot -> 2 on-demand + 1 spot.
    expect(fleet.map((l) => [l.purchase, l.replicas, l.monthlyUsd])).toEqual([
      ['reserved', 1, 376.02], // 1 x 0.5151 x 730 = 376.023
      ['on-demand', 3, 1762.51], // 3 x 0.8048 x 730 = 1762.512
      ['spot', 1, 234.99], // 1 x 0.3219 x 730 = 234.987
    ]);
    expect(aws.endpoints[0]).toEqual({ name: 'llm', instanceType: 'g6.xlarge', replicas: { reserved: 1, onDemand: 3, spot: 1 }, monthlyUsd: 2373.52, allOnDemandMonthlyUsd: 2937.51 });
    // Network: internal ALB 0.0225 x 730 = 16.425 (16.43 after float rounding); NAT 0.045 x 730 = 32.85.
    const network = aws.lines.filter((l) => l.component === 'network').map((l) => l.monthlyUsd);
    expect(network).toEqual([16.43, 32.85]);
    expect(aws.totalMonthlyUsd).toBe(2422.8);
    expect(aws.allOnDemandMonthlyUsd).toBe(2986.79);
    expect(aws.savingMonthlyUsd).toBe(563.99);
    expect(aws.savingPercent).toBe(18.9);
  });

  test('model usage from expected traffic', () => {
    const design = awsDesign({
      router: {
        models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
        routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
        traffic: [{ route: 'chat', requestsPerDay: 1000, avgInputTokens: 1000, avgOutputTokens: 500 }],
      },
    });
    const usage = estimateMonthlyCost(design).clouds[0].lines.filter((l) => l.component === 'model-usage');
    // 1000/day x 30.4 days x (1 x $0.0008 + 0.5 x $0.004) = 30400 x 0.0028 = 85.12
    expect(usage.map((l) => l.monthlyUsd)).toEqual([85.12]);
  });

  test('user prices override the catalog', () => {
    const design = awsDesign({ prices: { instances: { 'g6.xlarge': { onDemandHourlyUsd: 1, spotHourlyUsd: 0.5, committed1yHourlyUsd: 0.6 } } } });
    const fleet = estimateMonthlyCost(design).clouds[0].lines.filter((l) => l.component === 'gpu-fleet');
    expect(fleet.map((l) => l.monthlyUsd)).toEqual([438, 2190, 365]);
  });

  test('the reservation is paid in full even when the expected average runs fewer replicas on it', () => {
    // 2 reserved, expected average 1: the capacity reservation bills 2 whether or not they run.
    const base = awsDesign();
    const design: AiStackDesign = { ...base, endpoints: [{ ...base.endpoints![0], capacity: { min: 1, max: 4, expectedAverage: 1 }, purchase: { reserved: 2, onDemandBase: 0, spotPercentAboveBase: 50 } }] };
    const aws = estimateMonthlyCost(design).clouds[0];
    // 2 x 0.5151 x 730 = 752.046; all on demand 2 x 0.8048 x 730 = 1175.008.
    expect(aws.lines.filter((l) => l.component === 'gpu-fleet').map((l) => [l.purchase, l.replicas, l.monthlyUsd, l.allOnDemandMonthlyUsd])).toEqual([['reserved', 2, 752.05, 1175.01]]);
    expect(aws.endpoints[0].replicas).toEqual({ reserved: 2, onDemand: 0, spot: 0 });
  });

  test('the example design: the purchase mix is cheaper than all on-demand on every cloud', () => {
    const estimate = estimateMonthlyCost(loadDesign(join(__dirname, '../../examples/ai-stack.yaml')));
    expect(estimate.clouds.map((c) => c.cloud)).toEqual(['aws', 'gcp', 'azure']);
    for (const c of estimate.clouds) {
      expect(c.totalMonthlyUsd).toBeLessThan(c.allOnDemandMonthlyUsd);
      expect(c.budget?.withinBudget).toBe(true);
    }
  });

  test('an invalid design is rejected before pricing', () => {
    const design = awsDesign();
    (design.endpoints![0].capacity as { min: number }).min = 20;
    expect(() => estimateMonthlyCost(design)).toThrow(/capacity.max: must be >= capacity.min \(10 < 20\)/);
  });
});

/** The AWS design with a router (traffic priced by model usage), a vector store and a budget. */
function fullDesign(): AiStackDesign {
  return awsDesign({
    router: {
      models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
      routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
      traffic: [{ route: 'chat', requestsPerDay: 1000, avgInputTokens: 1000, avgOutputTokens: 500 }],
    },
    vectorStore: { name: 'docs', expectedSourceGiB: 10 },
    budget: { monthlyLimitUsd: 2430, notifyEmails: ['oncall@example.com'] },
  });
}

type Capabilities = typeof import('../../lib/design/capabilities');

/** The estimate module with capabilities.ts answering from `deployed` (section -> clouds that build it). */
function estimateWith(deployed: Partial<Record<string, string[]>>): typeof import('../../lib/design/estimate') {
  let estimate: typeof import('../../lib/design/estimate') | undefined;
  jest.isolateModules(() => {
    const real = jest.requireActual('../../lib/design/capabilities') as Capabilities;
    const isDeployed = (section: string, cloud: string) => (deployed[section] ?? []).includes(cloud);
    jest.doMock('../../lib/design/capabilities', () => ({
      ...real,
      isDeployed,
      notDeployedSections: (design: AiStackDesign, cloud: string) => real.SECTIONS.filter((s) => real.hasSection(design, s) && !isDeployed(s, cloud)),
    }));
    estimate = require('../../lib/design/estimate');
  });
  jest.dontMock('../../lib/design/capabilities');
  return estimate!;
}

describe('estimateMonthlyCost: sections a cloud does not deploy', () => {
  // Hand-computed: fleet + network 2422.80 (above); model usage 85.12. Vector store: 10 GiB x 2^30 / 4
  // tokens x 1.2 overlap = 3,221,225,472 tokens in 10,737,419 chunks of 300 tokens, each 1024 x 4 B of
  // vector + 1,200 B of text + 200 B = 5,496 B: 54.96 GiB x $0.06 = 3.30, + the daily 5% rewritten
  // (54.96 x 0.05 x 365/12 = 83.59 GiB) x $0.20 = 16.72: 20.01; queries 100,000 x $2.50/M = 0.25 + 100,000
  // x 32 tokens x $0.00002/1k = 0.06: 0.31; source 10 GiB x $0.023 = 0.23.
  // The router (lib/design/catalog/router-costs.ts), 1,000 requests/day x 30.4 = 30,400 a month, each
  // 0.5 s + 500 tokens / 50 per s = 10.5 s on 2 GiB arm64: requests 30,400 x $0.20/M = 0.01; duration
  // 319,200 s x 2 GB x $0.0000133334 = 8.51; DynamoDB 30,400 x (3 x $0.625 + 3 x $0.125)/M = 0.07;
  // logs 30,400 x 800 B = 0.0227 GiB x $0.50 = 0.01; 1 secret (key hashes; the router calls no GPU
  // endpoint) x $0.40 = 0.40; dashboard + 3 alarm metrics 3.30. Router total 12.30. Embedding refresh: 10 GiB x 2^30 / 4 tokens x 1.2 (20% chunk
  // overlap) = 3,221,225,472 tokens; 5% changed x 365/12 daily runs x $0.00002/1k = 97.98.
  test('their lines stay, marked not deployed, and are left out of the deployed total and the budget check', () => {
    const aws = estimateWith({ endpoints: ['aws'] }).estimateMonthlyCost(fullDesign()).clouds[0];
    expect(aws.lines.map((l) => [l.component, l.section, l.deployed, l.monthlyUsd])).toEqual([
      ['gpu-fleet', 'endpoints', true, 376.02],
      ['gpu-fleet', 'endpoints', true, 1762.51],
      ['gpu-fleet', 'endpoints', true, 234.99],
      ['network', 'endpoints', true, 16.43],
      ['network', 'endpoints', true, 32.85],
      ['model-usage', 'router', false, 85.12],
      ['router', 'router', false, 0.01],
      ['router', 'router', false, 8.51],
      ['router', 'router', false, 0.07],
      ['router', 'router', false, 0.01],
      ['router', 'router', false, 0.4],
      ['router', 'router', false, 3.3],
      ['vector-store', 'vectorStore', false, 20.01],
      ['vector-store', 'vectorStore', false, 0.31],
      ['vector-store', 'vectorStore', false, 0.23],
      ['vector-store', 'vectorStore', false, 97.98],
    ]);
    expect(aws.totalMonthlyUsd).toBe(2422.8);
    expect(aws.allOnDemandMonthlyUsd).toBe(2986.79);
    expect(aws.designTotalMonthlyUsd).toBe(2638.75); // 2422.80 + 85.12 + 12.30 + 20.01 + 0.31 + 0.23 + 97.98
    expect(aws.notDeployed).toEqual(['router', 'vectorStore', 'budget']);
    // $2,430 holds the deployed $2,422.80 but not the whole design's $2,638.75.
    expect(aws.budget).toEqual({ monthlyLimitUsd: 2430, comparedMonthlyUsd: 2422.8, compared: 'deployed total', excludedSections: ['router', 'vectorStore'], withinBudget: true });
  });

  test('the lines switch over by themselves when capabilities.ts marks a section deployed', () => {
    const aws = estimateWith({ endpoints: ['aws'], router: ['aws'] }).estimateMonthlyCost(fullDesign()).clouds[0];
    expect(aws.lines.filter((l) => !l.deployed).map((l) => l.section)).toEqual(['vectorStore', 'vectorStore', 'vectorStore', 'vectorStore']);
    expect(aws.totalMonthlyUsd).toBe(2520.22); // 2422.80 + 85.12 + 12.30
    expect(aws.notDeployed).toEqual(['vectorStore', 'budget']);
    expect(aws.budget).toMatchObject({ comparedMonthlyUsd: 2520.22, excludedSections: ['vectorStore'], withinBudget: false });
    const all = estimateWith({ endpoints: ['aws'], router: ['aws'], vectorStore: ['aws'], budget: ['aws'] }).estimateMonthlyCost(fullDesign()).clouds[0];
    expect({ total: all.totalMonthlyUsd, notDeployed: all.notDeployed, excluded: all.budget?.excludedSections }).toEqual({ total: 2638.75, notDeployed: [], excluded: [] });
  });

  test('with the real capabilities.ts, every line is marked as that table says', () => {
    const estimate = estimateMonthlyCost(fullDesign());
    for (const c of estimate.clouds) {
      for (const l of c.lines) expect({ cloud: c.cloud, item: l.item, deployed: l.deployed }).toEqual({ cloud: c.cloud, item: l.item, deployed: isDeployed(l.section, c.cloud) });
      expect(c.totalMonthlyUsd).toBe(Math.round(c.lines.filter((l) => l.deployed).reduce((s, l) => s + l.monthlyUsd, 0) * 100) / 100);
    }
  });
});

describe('cronRunsPerMonth and the embedding refresh', () => {
  test('counts runs of a schedule in an average month, with cron\'s either-day rule', () => {
    expect(cronRunsPerMonth('0 3 * * *')).toBeCloseTo(365 / 12, 9);
    expect(cronRunsPerMonth('*/15 * * * *')).toBeCloseTo((96 * 365) / 12, 9);
    expect(cronRunsPerMonth('0 7 * * 1-5')).toBeCloseTo(261 / 12, 9); // 2025 has 261 weekdays
    expect(cronRunsPerMonth('0 0 1 * *')).toBe(1);
    // 1st of the month OR Sunday: 12 firsts + 52 Sundays, minus the 1st of June 2025, a Sunday.
    expect(cronRunsPerMonth('0 0 1 * 0')).toBeCloseTo(63 / 12, 9);
    expect(cronRunsPerMonth('0 0 * * 7')).toBe(cronRunsPerMonth('0 0 * * 0'));
  });

  test('re-embeds only the changed share: twice the change costs twice as much, and no change costs nothing', () => {
    const v = { name: 'docs', expectedSourceGiB: 10 } as const;
    const base = embeddingCost(v, 'aws').monthlyUsd;
    expect(embeddingCost({ ...v, expectedChangedPercent: 10 }, 'aws').monthlyUsd).toBeCloseTo(base * 2, 9);
    expect(embeddingCost({ ...v, expectedChangedPercent: 0 }, 'aws').monthlyUsd).toBe(0);
    expect(embeddingCost({ ...v, chunking: { strategy: 'none' } }, 'aws').monthlyUsd).toBeCloseTo(base / 1.2, 9);
  });
});

describe('vectorStoreCostItems: the index, its source, its queries and its refresh', () => {
  // Hand-computed for 1 GiB (the default) at 300-token chunks with 20% overlap: 2^30 / 4 x 1.2 =
  // 322,122,547 tokens in 1,073,742 chunks, each with 1,400 B of text and keys beside its vector.
  test('GCP: one e2-standard-2 node per 2 GiB shard of the index; searches are included', () => {
    const items = vectorStoreCostItems({ name: 'docs' }, 'gcp');
    // 768 dimensions: 1,073,742 x (3,072 + 1,400) B = 4.47 GiB -> 3 shards x $0.0938 x 730 = 205.42.
    expect(items[0]).toEqual({ item: 'Vector Search deployed index, e2-standard-2 node(s), one per 2 GiB shard: 3 for 1,073,742 chunks, 4.47 GiB', monthlyUsd: expect.closeTo(205.422, 3) });
    // 100,000 questions x 32 tokens x $0.000025/1k.
    expect(items[1].monthlyUsd).toBeCloseTo(0.08, 10);
    expect(items[2]).toEqual({ item: 'source documents: 1.00 GiB in Cloud Storage Standard', monthlyUsd: 0.02 });
  });

  test('Azure: AI Search Basic units by 5 GB of vectors, and the tier named when it cannot hold the index', () => {
    // 1536 dimensions: 1,073,742 x (6,144 + 1,400) B = 7.54 GiB -> 2 units x $73.73.
    expect(vectorStoreCostItems({ name: 'docs' }, 'azure')[0]).toMatchObject({ item: expect.stringContaining(': 2 for 1,073,742 chunks, 7.54 GiB'), monthlyUsd: 147.46 });
    // 3 GiB: 22.63 GiB -> 5 units, above Basic's 3 partitions.
    expect(vectorStoreCostItems({ name: 'docs', expectedSourceGiB: 3 }, 'azure')[0].item).toMatch(/: 5 for .* \(above the tier's 3: a larger tier is needed\)$/);
  });

  test('AWS: S3 Vectors bills what is stored, what each refresh writes and each query call', () => {
    const none = vectorStoreCostItems({ name: 'docs', expectedQueriesPerMonth: 0, expectedChangedPercent: 0 }, 'aws');
    // 1024 dimensions: 1,073,742 x (4,096 + 1,400) B = 5.50 GiB x $0.06, nothing rewritten.
    expect(none[0].monthlyUsd).toBeCloseTo((1073742 * 5496 * 0.06) / 1024 ** 3, 10);
    expect(none[1].monthlyUsd).toBe(0);
    const busy = vectorStoreCostItems({ name: 'docs', expectedQueriesPerMonth: 2_000_000 }, 'aws');
    // 2 M calls x $2.50/M + 2 M x 32 tokens x $0.00002/1k.
    expect(busy[1].monthlyUsd).toBeCloseTo(5 + 1.28, 10);
  });
});
