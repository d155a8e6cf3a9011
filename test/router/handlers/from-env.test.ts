import { lazyPipeline, pipelineFromEnv, pipelineOptionsFromEnv } from '../../../lib/router/handlers/from-env';
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

describe('pipeline limits from the environment (cloud functions)', () => {
  test('each variable sets its option; unset ones keep the defaults', () => {
    expect(pipelineOptionsFromEnv({ AI_STACK_ROUTER_MAX_IN_FLIGHT: '50', AI_STACK_ROUTER_MAX_IN_FLIGHT_PER_TENANT: '5', AI_STACK_ROUTER_MAX_BODY_BYTES: '1048576' })).toEqual({ maxInFlight: 50, maxInFlightPerTenant: 5, limits: { maxBodyBytes: 1048576 } });
    expect(pipelineOptionsFromEnv({})).toEqual({});
  });

  test('a value that is not a whole number >= 1 names the variable', () => {
    expect(() => pipelineOptionsFromEnv({ AI_STACK_ROUTER_MAX_IN_FLIGHT: '0' })).toThrow("AI_STACK_ROUTER_MAX_IN_FLIGHT must be a whole number >= 1 (got '0')");
    expect(() => pipelineOptionsFromEnv({ AI_STACK_ROUTER_MAX_BODY_BYTES: 'lots' })).toThrow(/AI_STACK_ROUTER_MAX_BODY_BYTES must be a whole number/);
  });

  test("a lazy pipeline's preflight answers a misconfigured router with the 500, without a body", () => {
    const p = lazyPipeline(() => {
      throw new Error('no config');
    }, () => undefined);
    const pre = p.preflight('POST', '/v1/chat/completions', {});
    expect(pre.response).toMatchObject({ status: 500 });
    expect(JSON.parse(pre.response!.body!).error).toMatchObject({ code: 'router_misconfigured', message: 'the router cannot start: no config' });
  });
});
