import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServe } from '../../../lib/cli/serve';

const design = join(__dirname, 'design.yaml');

async function run(argv: string[]) {
  const messages: string[] = [];
  const stop = new AbortController();
  const code = await runServe(argv, { message: (m) => messages.push(m), signal: stop.signal, onListening: () => stop.abort(), logger: () => undefined });
  return { code, out: messages.join('\n') };
}

describe('ai-stack serve arguments and errors', () => {
  test('--help prints the usage', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: ai-stack serve \[design.yaml\]/);
  });

  test.each([
    [['--port', 'abc'], /--port must be a whole number from 0 to 65535 \(got 'abc'\)/],
    [['--port'], /--port needs a value/],
    [['--upstream-base-url', 'primary'], /--upstream-base-url takes TARGET=URL \(got 'primary'\)/],
    [['--verbose'], /unknown option --verbose/],
    [['a.yaml', 'b.yaml'], /one design file only/],
    [['--max-in-flight', '0'], /--max-in-flight must be a whole number >= 1 \(got '0'\)/],
    [['--headers-timeout-ms', 'soon'], /--headers-timeout-ms must be a whole number >= 1 \(got 'soon'\)/],
    [['--max-connections=-3'], /--max-connections must be a whole number >= 1/],
    [['--simulate=yes'], /--simulate takes no value/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { code, out } = await run(argv);
    expect(code).toBe(2);
    expect(out).toMatch(message);
  });

  test('a design that cannot be served names every problem (exit 1)', async () => {
    const { code, out } = await run([design, '--port', '0', '--upstream-base-url', 'ghost=http://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(out).toMatch(/no URL for GPU endpoint 'primary'; .*--upstream-base-url primary=http:\/\/host:port/);
    expect(out).toMatch(/override for target 'ghost': no such target/);
  });

  test('a missing design file (exit 1)', async () => {
    const { code, out } = await run(['does-not-exist.yaml']);
    expect(code).toBe(1);
    expect(out).toMatch(/cannot read does-not-exist.yaml: ENOENT/);
  });

  test('tenants without a key are warned about', async () => {
    const { code, out } = await run([design, '--port', '0', '--upstream-base-url', 'primary=http://127.0.0.1:1', '--upstream-base-url', 'backup=http://127.0.0.1:2']);
    expect(code).toBe(0);
    expect(out).toMatch(/warning: tenant 'acme' has no API key/);
  });

  test('a bad keys file and a taken port are reported (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-cli-'));
    writeFileSync(join(dir, 'keys.json'), '{"acme": 5}');
    const ups = ['--upstream-base-url', 'primary=http://127.0.0.1:1', '--upstream-base-url', 'backup=http://127.0.0.1:2'];
    const bad = await run([design, '--keys', join(dir, 'keys.json'), ...ups]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/the key of tenant 'acme' must be a string or an array of strings/);

    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const busy = await run([design, '--port', String(port), ...ups]);
    taken.close();
    expect(busy.code).toBe(1);
    expect(busy.out).toMatch(new RegExp(`cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));
  });

  test('a target whose adapter package is missing stops the start with the npm i command (exit 1)', async () => {
    const messages: string[] = [];
    const code = await runServe([design, '--port', '0', '--upstream-base-url', 'primary=http://127.0.0.1:1', '--upstream-base-url', 'backup=http://127.0.0.1:2'], {
      message: (m) => messages.push(m),
      logger: () => undefined,
      resolvePackage: (name) => name !== '@aws-sdk/client-bedrock-runtime',
    });
    expect(code).toBe(1);
    expect(messages.join('\n')).toMatch(/router target 'haiku' \(bedrock\) needs the package @aws-sdk\/client-bedrock-runtime, which is not installed; run: npm i @aws-sdk\/client-bedrock-runtime/);
  });

  test('the limit options reach the server: --max-connections 1 answers a second connection 503', async () => {
    const stop = new AbortController();
    const { createConnection } = await import('node:net');
    let url = '';
    const served = runServe([design, '--port', '0', '--max-connections', '1', '--upstream-base-url', 'primary=http://127.0.0.1:1', '--upstream-base-url', 'backup=http://127.0.0.1:2'], { message: () => undefined, logger: () => undefined, signal: stop.signal, onListening: (u) => (url = u) });
    while (!url) await new Promise((r) => setTimeout(r, 10));
    const port = Number(new URL(url).port);
    const first = await new Promise<import('node:net').Socket>((r) => { const c = createConnection(port, '127.0.0.1', () => r(c)); });
    const second = await new Promise<string>((resolve) => {
      let text = '';
      const c = createConnection(port, '127.0.0.1');
      c.on('data', (d) => (text += d));
      c.on('close', () => resolve(text));
    });
    expect(second).toContain('"code":"too_many_connections"');
    first.destroy();
    stop.abort();
    expect(await served).toBe(0);
  });
});
