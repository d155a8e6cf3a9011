import { estimateMonthlyCost, planFleet, resolveGpuEndpoint, splitReplicas, loadDesign, type AiStackDesign } from '../../lib/design';
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

  test('the estimate prices the same replica counts the fleet plan gives the constructs', () => {
    const design = awsDesign();
    const plan = planFleet(resolveGpuEndpoint(design.endpoints![0], 'aws'));
    expect(estimateMonthlyCost(design).clouds[0].endpoints[0].replicas).toEqual(plan.expected);
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
