import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chatBody, deployedConfig, hash, KEYS } from './support/config';
import { KeyedUpstream } from './support/upstream';

// The build script is plain JS; bundle() is what `npm run build:router` runs for each cloud. The
// bundle is built into a temporary directory, so dist/router (read by the constructs' tests) is
// never rewritten under them.
const { TARGETS, bundle } = require('../../../scripts/build-router.js') as {
  TARGETS: { cloud: string }[];
  bundle: (target: unknown, dir: string) => Promise<{ file: string; bytes: number }>;
};

const dir = mkdtempSync(join(tmpdir(), 'router-gcp-bundle-'));
const secrets = mkdtempSync(join(tmpdir(), 'router-gcp-secrets-'));
let upstream: KeyedUpstream;

/** `node index.js` as Cloud Run runs it, on a port of its choosing; resolves with its URL once it listens. */
async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(dir, 'gcp', 'index.js')], { env: { PATH: process.env.PATH ?? '', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${err}`)), 20_000);
    const onData = () => {
      const m = /listening on port (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}):\n${err}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => err, exited };
}

function deployEnv(): Record<string, string> {
  writeFileSync(join(secrets, 'key-hashes.json'), JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
  writeFileSync(join(secrets, 'llama-key'), 'sk-cloud-run\n');
  return {
    AI_STACK_ROUTER_CONFIG: JSON.stringify(deployedConfig()),
    AI_STACK_ENDPOINT_URL_LLAMA_8B: upstream.url,
    // Cloud Run mounts Secret Manager secrets as files: the file: references read them.
    AI_STACK_KEY_HASHES: `file:${join(secrets, 'key-hashes.json')}`,
    AI_STACK_ENDPOINT_KEY_LLAMA_8B: `file:${join(secrets, 'llama-key')}`,
  };
}

beforeAll(async () => {
  upstream = await KeyedUpstream.start('hello from cloud run');
  upstream.requiredKey = 'sk-cloud-run';
  await bundle(TARGETS.find((t) => t.cloud === 'gcp'), dir);
}, 120_000);
afterAll(() => upstream.close());

describe('the Google Cloud bundle on Cloud Run (node index.js)', () => {
  test('serves HTTP on PORT: the official openai client gets completions and streams; the endpoint key is sent', async () => {
    const server = await startServer(deployEnv());
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEYS.a1, maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
      expect(completion.choices[0].message.content).toBe('hello from cloud run');
      let text = '';
      const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('hello from cloud run');
      expect(upstream.authorizations.slice(-2)).toEqual(['Bearer sk-cloud-run', 'Bearer sk-cloud-run']);
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toEqual(['chat']);
      await expect(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEYS.b1, maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      // The memory store's warning is the only start-up message besides "listening".
      expect(server.stderr()).toMatch(/AI_STACK_ROUTER_STORE is not set: budgets and rate limits are kept per instance/);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }, 60_000);

  test('SIGTERM drains: a request in flight completes, new connections are refused, the process exits 0', async () => {
    const server = await startServer(deployEnv());
    upstream.delayMs = 1000;
    try {
      const inFlight = fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.a1}`, 'content-type': 'application/json' }, body: chatBody });
      // Wait until the router has called the (slow) upstream.
      const calls = upstream.bodies.length;
      const deadline = Date.now() + 10_000;
      while (upstream.bodies.length === calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('hello from cloud run');
      expect(await server.exited).toBe(0);
      expect(server.stderr()).toContain('SIGTERM: draining requests in flight');
    } finally {
      upstream.delayMs = 0;
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  test('a missing endpoint URL is logged at start, naming the variable, and every request gets the 500', async () => {
    const env = deployEnv();
    delete env.AI_STACK_ENDPOINT_URL_LLAMA_8B;
    const server = await startServer(env);
    try {
      expect(server.stderr()).toMatch(/the router cannot start: [\s\S]*AI_STACK_ENDPOINT_URL_LLAMA_8B is not set/);
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('router_misconfigured');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }, 60_000);

  test('loaded as a module (Cloud Functions) it exports handler and starts no server', async () => {
    const script = `const m = require(${JSON.stringify(join(dir, 'gcp', 'index.js'))}); console.log(typeof m.handler); setTimeout(() => process.exit(0), 50);`;
    const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    expect(out.trim()).toBe('function');
    expect(err).not.toContain('listening');
  }, 30_000);
});
