import { lazyPipeline, pipelineFromEnv } from '../../../lib/router/handlers/from-env';
import { fixturePipeline } from './platform-fixtures';

describe('cloud function bootstrap', () => {
  test('a broken configuration answers 500 naming the problem, logged once', async () => {
    const errors: string[] = [];
    const handle = lazyPipeline(() => {
      throw new Error('AI_STACK_ROUTER_CONFIG is not set: set it to the router config JSON');
    }, (m) => errors.push(m));
    for (let i = 0; i < 3; i++) {
      const r = await handle('GET', '/healthz', {}, undefined);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body!).error).toEqual({ message: 'the router cannot start: AI_STACK_ROUTER_CONFIG is not set: set it to the router config JSON', type: 'server_error', code: 'router_misconfigured', param: null });
    }
    expect(errors).toHaveLength(1);
  });

  test('the pipeline is built once, on the first request', async () => {
    let builds = 0;
    const handle = lazyPipeline(() => {
      builds++;
      return fixturePipeline().handle;
    });
    expect(builds).toBe(0);
    await handle('GET', '/healthz', {}, undefined);
    await handle('GET', '/healthz', {}, undefined);
    expect(builds).toBe(1);
  });

  test('pipelineFromEnv reads AI_STACK_ROUTER_CONFIG', async () => {
    const saved = process.env.AI_STACK_ROUTER_CONFIG;
    delete process.env.AI_STACK_ROUTER_CONFIG;
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const r = await pipelineFromEnv()('GET', '/healthz', {}, undefined);
      expect(r.status).toBe(500);
      expect(r.body).toMatch(/AI_STACK_ROUTER_CONFIG is not set/);
      expect(consoleError).toHaveBeenCalledWith(expect.stringMatching(/^the router cannot start: AI_STACK_ROUTER_CONFIG is not set/));
    } finally {
      consoleError.mockRestore();
      if (saved !== undefined) process.env.AI_STACK_ROUTER_CONFIG = saved;
    }
  });
});
