import { collectProblems, isCron } from '../../lib/design';
import { bareDesign } from '../fixtures/designs';

describe('isCron: five fields, each within its bounds', () => {
  test.each(['0 3 * * *', '*/15 * * * *', '0 20 * * 1-5', '0 3 * * 0-7', '30 2 1,15 * *', '0 0-23/2 * * *'])('accepts %s', (c) => expect(isCron(c)).toBe(true));
  test.each(['99 3 * * *', '0 24 * * *', '0 3 0 * *', '0 3 * 13 *', '0 3 * * 8', '0 3 * * 5-1', '*/0 * * * *', '0 3 * *', 'daily'])('refuses %s', (c) => expect(isCron(c)).toBe(false));
});

test('an out-of-range refresh schedule is a design problem, not a deploy-time failure', () => {
  const problems = collectProblems({ ...bareDesign(), vectorStore: { name: 'docs', refreshSchedule: '0 25 * * *' } }, { clouds: ['gcp'] }).all;
  expect(problems).toEqual([{ path: 'vectorStore.refreshSchedule', message: expect.stringContaining("must be a five-field cron such as '0 3 * * *' (got '0 25 * * *')") }]);
});
