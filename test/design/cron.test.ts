import { collectProblems, isCron } from '../../lib/design';
import { bareDesign } from '../fixtures/designs';
import { cronLongestGapSeconds } from '../../lib/design/cron-count';

describe('isCron: five fields, each within its bounds', () => {
  test.each(['0 3 * * *', '*/15 * * * *', '0 20 * * 1-5', '0 3 * * 0-7', '30 2 1,15 * *', '0 0-23/2 * * *'])('accepts %s', (c) => expect(isCron(c)).toBe(true));
  test.each(['99 3 * * *', '0 24 * * *', '0 3 0 * *', '0 3 * 13 *', '0 3 * * 8', '0 3 * * 5-1', '*/0 * * * *', '0 3 * *', 'daily'])('refuses %s', (c) => expect(isCron(c)).toBe(false));
});

test('an out-of-range refresh schedule is a design problem, not a deploy-time failure', () => {
  const problems = collectProblems({ ...bareDesign(), vectorStore: { name: 'docs', refreshSchedule: '0 25 * * *' } }, { clouds: ['gcp'] }).all;
  expect(problems).toEqual([{ path: 'vectorStore.refreshSchedule', message: expect.stringContaining("must be a five-field cron such as '0 3 * * *' (got '0 25 * * *')") }]);
});

describe('values a boot script or a load balancer takes on one line', () => {
  const endpoint = (server: Record<string, unknown>) => ({
    ...bareDesign(),
    endpoints: [{ name: 'llm', accelerator: 'nvidia-l4', server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', ...server }, capacity: { min: 1, max: 2 } }],
  });
  test.each([
    [{ image: 'vllm/vllm-openai:v0.6.3\nrm -rf /' }, 'endpoints[0].server.image', 'without spaces or control characters'],
    [{ model: 'meta-llama/x\nEXTRA=1' }, 'endpoints[0].server.model', 'on one line'],
    [{ args: ['--a', 'b\nc'] }, 'endpoints[0].server.args[1]', 'one line without control characters'],
    [{ env: { LEVEL: 'a\rb' } }, 'endpoints[0].server.env.LEVEL', 'one line without control characters'],
    [{ env: { 'has space': 'x' } }, 'endpoints[0].server.env["has space"]', 'must be an environment variable name'],
    [{ healthPath: '/health check' }, 'endpoints[0].server.healthPath', 'may hold only letters, digits'],
  ])('%j is refused on every cloud', (server, path, message) => {
    for (const cloud of ['aws', 'gcp', 'azure'] as const) {
      expect(collectProblems(endpoint(server), { clouds: [cloud] }).all).toContainEqual({ path, message: expect.stringContaining(message) });
    }
  });
});

describe('cronLongestGapSeconds', () => {
  test.each([
    ['0 3 * * *', 86_400],
    ['*/15 * * * *', 900],
    ['0 9,17 * * *', 16 * 3600],
    ['0 2 * * 1-5', 3 * 86_400], // Friday 02:00 to Monday 02:00
    ['30 4 1 * *', 31 * 86_400],
    ['0 0 29 2 *', 1461 * 86_400], // leap day to leap day, 2028 to 2032
  ])('%s waits at most %d s between runs', (cron, seconds) => {
    expect(cronLongestGapSeconds(cron)).toBe(seconds);
  });

  test('a cron that never runs counts the whole span it was measured over', () => {
    expect(cronLongestGapSeconds('0 0 31 2 *')).toBe((Date.UTC(2033, 0, 1) - Date.UTC(2025, 0, 1)) / 1000);
  });
});
