import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../../..');
const run = promisify(execFile);

/** The first `sh` block under a heading of docs/router.md. */
function shBlock(heading: string): string {
  const doc = readFileSync(join(ROOT, 'docs/router.md'), 'utf8');
  const section = doc.slice(doc.indexOf(`## ${heading}`));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`no sh block under '${heading}'`);
  return m[1];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Issue #10, item 7: the commands docs/router.md gives for trying the router without a cloud
 * account run as written: `ai-stack serve examples/ai-stack.yaml --simulate --keys keys.json`, then
 * the curl calls. Only the port (a free one), the CLI (the TypeScript source through tsx, as the
 * other CLI tests run it) and the example's path (the block runs in a temporary directory) change.
 */
test('the "Running locally" commands of docs/router.md work as documented', async () => {
  const port = await freePort();
  const block = shBlock('Running locally')
    .replaceAll('npx ai-stack', `${join(ROOT, 'node_modules/.bin/tsx')} ${join(ROOT, 'lib/cli/main.ts')}`)
    .replaceAll('examples/ai-stack.yaml', join(ROOT, 'examples/ai-stack.yaml'))
    .replaceAll('8080', String(port));
  expect(block).toContain('--simulate --keys keys.json');
  const script = `set -e\n${block}\nkill $(jobs -p)\nwait\n`;
  const { stdout } = await run('bash', ['-c', script], { cwd: mkdtempSync(join(tmpdir(), 'docs-commands-')), timeout: 60_000 });
  // The completion on chat-tiered (a short prompt: the small tier's simulated GPU endpoints).
  // stdout has the router's log lines (one JSON line per request) and curl's output, which has no
  // final newline: find the completion by its shape.
  const completion = JSON.parse(/\{"id":"chatcmpl-[^]*?"total_tokens":\d+\}\}/.exec(stdout)![0]);
  expect(completion).toMatchObject({ object: 'chat.completion', model: 'chat-tiered', choices: [{ message: { role: 'assistant' }, finish_reason: 'stop' }] });
  expect(completion.choices[0].message.content).toMatch(/^Simulated answer from llama-(8|70)b/);
  // The stream on chat-default, as the analytics tenant.
  expect(stdout).toContain('"object":"chat.completion.chunk"');
  expect(stdout).toMatch(/"x_ai_stack":\{"target":"[a-z0-9-]+","attempts":1,"cost_usd":"\d+\.\d{9}"/);
  expect(stdout).toContain('data: [DONE]');
  expect(stdout).toMatch(/"tenant":"analytics","route":"chat-default".*"outcome":"ok"/);
}, 60_000);
