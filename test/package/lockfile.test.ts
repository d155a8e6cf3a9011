import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('package-lock.json', () => {
  test('records every optional dependency, so `npm ci` accepts it on a clean clone', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '../../scripts/complete-lockfile.js'), '--check'], { encoding: 'utf8' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
