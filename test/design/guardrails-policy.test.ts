// The router-policy fields of the guardrails section: shape, defaults, ranges, route references.
import { Lazy } from 'aws-cdk-lib';
import { collectProblems, GUARDRAIL_DEFAULTS, type AiStackDesign } from '../../lib/design';
import { guardConfigFromDesign, routeGuardPolicy } from '../../lib/router/guard/config';
import { routerConfigFromDesign, serializeRouterConfig } from '../../lib/router/config';
import { checkGuardConfig } from '../../lib/router/guard/config-check';
import { smallDesign } from '../fixtures/designs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Design = any;

function problems(design: Design): string[] {
  return collectProblems(design as AiStackDesign, { clouds: ['aws'] }).all.map((p) => `${p.path}: ${p.message}`);
}

function withGuardrails(guardrails: Record<string, unknown>): Design {
  const d = smallDesign();
  d.guardrails = guardrails;
  return d;
}

/** The one problem a change causes, at `path`. */
function onlyProblem(guardrails: Record<string, unknown>, path: string): string {
  const found = problems(withGuardrails(guardrails));
  expect(found).toHaveLength(1);
  expect(found[0].startsWith(`${path}: `)).toBe(true);
  return found[0].slice(path.length + 2);
}

describe('defaults', () => {
  test('fail closed, sequential, 400-character windows, 2 s guard timeout', () => {
    expect(GUARDRAIL_DEFAULTS).toMatchObject({ failMode: 'closed', parallel: false, streamWindowChars: 400, timeoutMs: 2000 });
  });

  test('the router config carries them when the design sets nothing', () => {
    const g = guardConfigFromDesign({});
    expect(g).toMatchObject({ failMode: 'closed', parallel: false, streamWindowChars: 400, timeoutMs: 2000, routes: {} });
    expect(routeGuardPolicy(g, 'chat')).toEqual({ input: true, output: true, failMode: 'closed', parallel: false, streamWindowChars: 400, timeoutMs: 2000 });
  });

  test('a route override replaces only what it sets', () => {
    const g = guardConfigFromDesign({ failMode: 'open', parallel: true, routes: { chat: { output: false }, batch: { input: false, parallel: false, failMode: 'closed' } } });
    expect(routeGuardPolicy(g, 'chat')).toMatchObject({ input: true, output: false, failMode: 'open', parallel: true });
    expect(routeGuardPolicy(g, 'batch')).toMatchObject({ input: false, output: true, failMode: 'closed', parallel: false });
    expect(routeGuardPolicy(g, 'other')).toMatchObject({ input: true, output: true, failMode: 'open', parallel: true });
    expect(routeGuardPolicy(g, 'constructor')).toMatchObject({ input: true, output: true }); // not an inherited key
  });
});

describe('valid policies', () => {
  test.each([
    ['every field at its lower bound', { failMode: 'open', parallel: true, streamWindowChars: 50, timeoutMs: 100 }],
    ['every field at its upper bound', { failMode: 'closed', parallel: false, streamWindowChars: 4000, timeoutMs: 30000 }],
    ['a route override of every field', { routes: { chat: { input: true, output: false, failMode: 'open', parallel: true } } }],
    ['a route opting out of both checks', { routes: { chat: { input: false, output: false } } }],
    ['a route opting out of input with parallel off', { parallel: true, routes: { chat: { input: false, parallel: false } } }],
  ])('%s', (_what, g) => expect(problems(withGuardrails(g))).toEqual([]));
});

describe('refused policies', () => {
  test.each([
    ['an unknown fail mode', { failMode: 'half' }, 'guardrails.failMode', /^must be one of closed, open \(got the string 'half'\)$/],
    ['a fail mode that is a near miss', { failMode: 'close' }, 'guardrails.failMode', /did you mean 'closed'/],
    ['parallel as a string', { parallel: 'yes' }, 'guardrails.parallel', /^must be true or false/],
    ['a window under 50', { streamWindowChars: 49 }, 'guardrails.streamWindowChars', /^must be a whole number between 50 and 4000 characters \(got 49\)$/],
    ['a window over 4000', { streamWindowChars: 4001 }, 'guardrails.streamWindowChars', /between 50 and 4000 characters \(got 4001\)/],
    ['a fractional window', { streamWindowChars: 400.5 }, 'guardrails.streamWindowChars', /whole number/],
    ['a timeout under 100 ms', { timeoutMs: 99 }, 'guardrails.timeoutMs', /^must be a whole number between 100 and 30000 ms \(got 99\)$/],
    ['a timeout over 30 s', { timeoutMs: 30001 }, 'guardrails.timeoutMs', /between 100 and 30000 ms \(got 30001\)/],
    ['an infinite timeout', { timeoutMs: Infinity }, 'guardrails.timeoutMs', /^must be a finite number/],
    ['routes as a list', { routes: ['chat'] }, 'guardrails.routes', /^must be a map/],
    ['an unknown key in a route', { routes: { chat: { inputs: false } } }, 'guardrails.routes.chat.inputs', /^unknown key \(did you mean 'input'\?\); allowed keys: input, output, failMode, parallel$/],
    ['a route input that is not a boolean', { routes: { chat: { input: 'no' } } }, 'guardrails.routes.chat.input', /^must be true or false/],
    ['a route fail mode that is not one', { routes: { chat: { failMode: 'never' } } }, 'guardrails.routes.chat.failMode', /^must be one of closed, open/],
    ['a route with parallel but no input check', { routes: { chat: { input: false, parallel: true } } }, 'guardrails.routes.chat.parallel', /^has no effect when input is false .*remove parallel$/],
    ['a route without input under a parallel section', { parallel: true, routes: { chat: { input: false } } }, 'guardrails.routes.chat.parallel', /remove the route's input: false or guardrails.parallel$/],
    ['a route the router does not have', { routes: { chta: {} } }, 'guardrails.routes.chta', /^names no route of router.routes \(routes: 'chat'\)$/],
    ['a route name with dots, quoted in the path', { routes: { 'a.b': {} } }, 'guardrails.routes["a.b"]', /^names no route/],
    ['a blocked word with no letter or digit', { blockedWords: ['$$$'] }, 'guardrails.blockedWords[0]', /^must hold a letter or digit: the router matches blocked words on their letters and digits \(got '\$\$\$'\)$/],
  ])('%s', (_what, g, path, message) => expect(onlyProblem(g, path)).toMatch(message));

  test('route names are checked against the router only when one exists', () => {
    const d = withGuardrails({ routes: { chat: {} } });
    delete d.router;
    expect(problems(d)).toEqual(['guardrails.routes.chat: names no route of router.routes (the design has no router section)']);
  });

  test('every problem at once', () => {
    const found = problems(withGuardrails({ streamWindowChars: 1, timeoutMs: 1, routes: { nope: { input: false, parallel: true } } }));
    expect(found.map((p) => p.split(':')[0])).toEqual(['guardrails.streamWindowChars', 'guardrails.timeoutMs', 'guardrails.routes.nope.parallel', 'guardrails.routes.nope']);
  });

  test('unresolved tokens are refused: the guard policy is fixed at synth', () => {
    const found = problems(withGuardrails({ streamWindowChars: Lazy.number({ produce: () => 400 }), timeoutMs: Lazy.number({ produce: () => 1 }) }));
    expect(found).toEqual([
      "guardrails.streamWindowChars: must be a literal, not an unresolved token: the router's guard policy is fixed at synth. Pass the value itself",
      "guardrails.timeoutMs: must be a literal, not an unresolved token: the router's guard policy is fixed at synth. Pass the value itself",
    ]);
  });
});

describe('the router config', () => {
  test('has a guard section exactly when the design has guardrails', () => {
    const without = routerConfigFromDesign(smallDesign(), { keys: {}, env: {}, endpointUrls: { llm: 'http://llm:8000' } });
    expect(without.guard).toBeUndefined();
    expect(serializeRouterConfig(without)).not.toMatch(/"guard"/);
    const d = withGuardrails({ blockedWords: ['x'], failMode: 'open', routes: { chat: { output: false } } });
    const withIt = routerConfigFromDesign(d, { keys: {}, env: {}, endpointUrls: { llm: 'http://llm:8000' } });
    expect(withIt.guard).toMatchObject({ blockedWords: ['x'], failMode: 'open', routes: { chat: { output: false } } });
    expect(checkGuardConfig(JSON.parse(serializeRouterConfig(withIt)).guard, ['chat'])).toEqual([]);
  });

  test('serializes the same bytes whatever the order the design lists things in', () => {
    const a = guardConfigFromDesign({ routes: { b: { input: false }, a: { output: false, failMode: 'open' } }, pii: { entities: ['IBAN', 'EMAIL'] } });
    const b = guardConfigFromDesign({ pii: { entities: ['EMAIL', 'IBAN'] }, routes: { a: { failMode: 'open', output: false }, b: { input: false } } });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a.routes)).toEqual(['a', 'b']);
    expect(a.pii.entities).toEqual(['EMAIL', 'IBAN']);
  });

  test('checkGuardConfig names each problem of a hand-edited guard section', () => {
    const g = JSON.parse(JSON.stringify(guardConfigFromDesign({ routes: { chat: {} } })));
    g.failMode = 'maybe';
    g.streamWindowChars = 10;
    g.timeoutMs = '2000';
    g.pii.entities = ['EMAIL', 'DNA'];
    g.content.hate = 'extreme';
    g.routes.ghost = { input: 'no', extra: 1 };
    expect(checkGuardConfig(g, ['chat'])).toEqual([
      "guard.content.hate: must be one of none, low, medium, high (got \"extreme\")",
      'guard.pii.entities: must be an array of EMAIL, PHONE, NAME, ADDRESS, CREDIT_DEBIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, IP_ADDRESS, IBAN, PASSPORT_NUMBER',
      'guard.failMode: must be closed or open (got "maybe")',
      'guard.streamWindowChars: must be a whole number from 50 to 4000 (got 10)',
      'guard.timeoutMs: must be a whole number from 100 to 30000 (got "2000")',
      'guard.routes["ghost"]: names no route of the config (got "ghost")',
      'guard.routes["ghost"].extra: unknown key; allowed: input, output, failMode, parallel',
      'guard.routes["ghost"].input: must be true or false',
    ]);
    expect(checkGuardConfig('x', [])).toEqual(['guard: must be an object (see guardConfigFromDesign)']);
  });
});

describe('topicClassifier', () => {
  const topics = [{ name: 'legal-advice', definition: 'Requests for legal advice.' }];

  test('names router models; each cloud classifies with the first its router serves, and the AWS router (Bedrock) never does', () => {
    const d = withGuardrails({ deniedTopics: topics, topicClassifier: { models: ['flash', 'mini'] } });
    expect(problems(d)).toEqual([]);
    const { deployedRouterConfig } = require('../../lib/router/deployed-config') as typeof import('../../lib/router/deployed-config');
    expect(deployedRouterConfig(d, 'gcp').guard).toMatchObject({ deniedTopics: topics, topicClassifier: { target: 'flash' } });
    expect(deployedRouterConfig(d, 'azure').guard).toMatchObject({ topicClassifier: { target: 'mini' } });
    expect(deployedRouterConfig(d, 'aws').guard).not.toHaveProperty('topicClassifier');
    expect(deployedRouterConfig(d, 'aws').guard).toMatchObject({ deniedTopics: topics });
  });

  test('a model that is not a router model is refused with its path', () => {
    expect(onlyProblem({ deniedTopics: topics, topicClassifier: { models: ['flash', 'gpt-5'] } }, 'guardrails.topicClassifier.models[1]')).toMatch(/^names no router model \(models: .*'flash'.*; got 'gpt-5'\)$/);
  });

  test('an empty list, or a classifier without denied topics, is refused', () => {
    expect(onlyProblem({ deniedTopics: topics, topicClassifier: { models: [] } }, 'guardrails.topicClassifier.models')).toBe('must name at least one router model (router.models[].id)');
    expect(onlyProblem({ topicClassifier: { models: ['flash'] } }, 'guardrails.topicClassifier')).toMatch(/^classifies prompts against deniedTopics, and the section has none/);
  });

  test('the router config check refuses a classifier naming no target', () => {
    const guard = { ...guardConfigFromDesign({ deniedTopics: topics }), topicClassifier: { target: 'ghost' } };
    expect(checkGuardConfig(guard, [], 'guard', ['a'])).toEqual(['guard.topicClassifier.target: names no target of the config (got "ghost")']);
  });
});
