// The fuzz findings of issue #8 in the neutral design model: shapes, tokens, messages, loading.
import { Lazy, Token } from 'aws-cdk-lib';
import { Lazy as TfLazy, Token as TfToken } from 'cdktf';
import {
  arrayOf,
  bool,
  checkShape,
  extendShape,
  isPlainObject,
  num,
  obj,
  oneOf,
  recordOf,
  ref,
  str,
  type Shape,
} from '../../lib/design/shape';
import {
  collectProblems,
  designShape,
  DesignError,
  formatProblems,
  gpuEndpointShape,
  isToken,
  join,
  joinKey,
  parseDesign,
  pathSegments,
  Problems,
  quote,
  quoteList,
  validateDesign,
  type AiStackDesign,
} from '../../lib/design';
import { designErrorOf } from '../support/design-error';
import { smallDesign } from '../fixtures/designs';

type Cloud = 'aws' | 'gcp' | 'azure';

function problems(design: unknown, clouds?: Cloud[]): string[] {
  return collectProblems(design as AiStackDesign, { clouds }).all.map((p) => `${p.path}: ${p.message}`);
}

function shapeProblems(value: unknown, shape: Shape, path = 'props'): string[] {
  const found = new Problems();
  checkShape(value, shape, path, found);
  return found.all.map((p) => `${p.path}: ${p.message}`);
}

/** A valid design file: the head (lines 1-8) then one endpoint (lines 9-15). */
const HEAD = `name: demo-ai
region:
  aws: us-east-1
tags:
  team: ml
  costCenter: cc-1
  environment: test
  application: demo
`;
const ENDPOINT = `endpoints:
  - name: llm
    accelerator: nvidia-l4
    capacity: { min: 1, max: 3 }
    server:
      image: vllm/vllm-openai:v0.6.3
      model: m
`;
const VALID = HEAD + ENDPOINT;
/** 1-based line of the first line of `text` containing `marker`. */
const lineOf = (text: string, marker: string) => text.split('\n').findIndex((l) => l.includes(marker)) + 1;

describe('shape: unknown keys are own properties', () => {
  test.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])("a key named like Object.prototype's %s is an unknown key", (key) => {
    const d = smallDesign();
    d.endpoints[0].capacity[key] = 1;
    d.router[key] = 'x';
    const found = problems(d);
    expect(found).toContainEqual(expect.stringMatching(new RegExp(`^endpoints\\[0\\]\\.capacity\\.${key}: unknown key`)));
    expect(found).toContainEqual(expect.stringMatching(new RegExp(`^router\\.${key}: unknown key`)));
  });

  test('an own __proto__ key (as JSON.parse and YAML make it) is an unknown key', () => {
    const d = smallDesign();
    d.budget = JSON.parse('{"monthlyLimitUsd": 5, "notifyEmails": ["a@b.co"], "billingAccountId": "01D4EE-079462-DFD6EC", "__proto__": {"x": 1}}');
    expect(problems(d)).toEqual([expect.stringMatching(/^budget\.__proto__: unknown key; allowed keys: monthlyLimitUsd,/)]);
  });

  test('a map may not hold a __proto__ key', () => {
    const d = smallDesign();
    d.tags.extra = JSON.parse('{"owner": "a", "__proto__": "b"}');
    expect(problems(d, ['aws'])).toEqual(['tags.extra.__proto__: is not allowed as a key: it names the prototype of a JavaScript object']);
  });

  test('loading a file with __proto__ keys is refused and pollutes nothing', () => {
    const text = `${VALID}__proto__:\n  polluted: yes\nprices:\n  instances:\n    __proto__:\n      onDemandHourlyUsd: 1\n`;
    const error = designErrorOf(() => parseDesign(text, 'proto.yaml'));
    expect(error.problems.map((p) => [p.path, p.line])).toEqual([
      ['__proto__', 16],
      ['prices.instances.__proto__', 20],
      ['prices.instances.__proto__', 20], // also: not an instance type of the catalog
    ]);
    expect(error.problems[1].message).toBe('is not allowed as a key: it names the prototype of a JavaScript object');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).onDemandHourlyUsd).toBeUndefined();
  });

  test('fields are looked up as own properties of the field table, not through its prototype', () => {
    const shape = obj({ a: str });
    expect(shapeProblems({ a: 'x', toString: 'y' }, shape)).toEqual(['props.toString: unknown key; allowed keys: a']);
    // A shape written as a literal (as construct props shapes may be) behaves the same.
    const literal: Shape = { kind: 'object', fields: { a: str }, required: [] };
    expect(shapeProblems({ constructor: 1, __proto__: 2, a: 'x' } as never, literal)).toEqual(['props.constructor: unknown key; allowed keys: a']);
    expect(shapeProblems(JSON.parse('{"__proto__": 1, "hasOwnProperty": 2}'), literal)).toEqual([
      'props.__proto__: unknown key; allowed keys: a',
      'props.hasOwnProperty: unknown key; allowed keys: a',
    ]);
    // A required key is an own property: the inherited `constructor` does not satisfy it.
    expect(shapeProblems({}, obj({ constructor: str }, ['constructor']))).toEqual(['props.constructor: is required']);
  });
});

describe('shape: numbers are finite', () => {
  test.each([
    ['.inf', 'Infinity'],
    ['-.inf', '-Infinity'],
    ['.nan', 'NaN'],
    ['.NaN', 'NaN'],
    ['1e400', 'Infinity'],
  ])('%s from YAML is refused, named %s', (yaml, shown) => {
    const text = `${VALID}budget:\n  monthlyLimitUsd: ${yaml}\n  notifyEmails: [ops@example.com]\n`;
    const error = designErrorOf(() => parseDesign(text, 'inf.yaml'));
    expect(error.problems).toEqual([{ path: 'budget.monthlyLimitUsd', message: `must be a finite number (got ${shown})`, line: 17 }]);
    expect(error.message).not.toMatch(/null/);
  });

  test('every numeric field refuses Infinity once, with the value named', () => {
    const d = smallDesign();
    d.router.routes[0].targets[0].weight = Infinity;
    d.router.tenants[0].monthlyBudgetUsd = Infinity;
    d.prices = { instances: { 'g6.xlarge': { onDemandHourlyUsd: Infinity } }, models: { 'claude-3-5-haiku': { inputPer1kUsd: -Infinity } } };
    d.vectorStore = { name: 'docs', expectedSourceGiB: Infinity };
    d.router.routes[0].timeoutMs = NaN;
    expect(problems(d)).toEqual([
      'router.routes[0].targets[0].weight: must be a finite number (got Infinity)',
      'router.routes[0].timeoutMs: must be a finite number (got NaN)',
      'router.tenants[0].monthlyBudgetUsd: must be a finite number (got Infinity)',
      'vectorStore.expectedSourceGiB: must be a finite number (got Infinity)',
      "prices.instances[\"g6.xlarge\"].onDemandHourlyUsd: must be a finite number (got Infinity)",
      'prices.models.claude-3-5-haiku.inputPer1kUsd: must be a finite number (got -Infinity)',
    ]);
  });
});

describe('shape: ref and extendShape for construct props', () => {
  const vpcProps = extendShape(gpuEndpointShape, { vpc: ref('an ec2.IVpc'), keyArn: str }, ['vpc']);
  const endpoint = () => smallDesign().endpoints[0];

  test('a ref takes any object or function', () => {
    class FakeVpc {
      readonly vpcId = 'vpc-1';
    }
    expect(shapeProblems({ ...endpoint(), vpc: new FakeVpc() }, vpcProps)).toEqual([]);
    expect(shapeProblems({ ...endpoint(), vpc: { vpcId: 'x' } }, vpcProps)).toEqual([]);
    expect(shapeProblems({ ...endpoint(), vpc: () => undefined }, vpcProps)).toEqual([]);
  });

  test.each([
    ['vpc-123', "the string 'vpc-123'"],
    [5, '5'],
    [null, 'null'],
    [true, 'true'],
  ])('a ref refuses %p', (value, shown) => {
    expect(shapeProblems({ ...endpoint(), vpc: value }, vpcProps)).toEqual([`props.vpc: must be an ec2.IVpc (got ${shown})`]);
  });

  test('the extended shape keeps the base fields and required keys, adds its own, and refuses unknown keys', () => {
    expect(vpcProps.kind).toBe('object');
    expect(Object.keys(vpcProps.fields)).toEqual([...Object.keys((gpuEndpointShape as { fields: object }).fields), 'vpc', 'keyArn']);
    expect(vpcProps.required).toEqual(['name', 'accelerator', 'server', 'capacity', 'vpc']);
    const { capacity, ...noCapacity } = endpoint();
    void capacity;
    expect(shapeProblems({ ...noCapacity, vpcc: {} }, vpcProps)).toEqual([
      "props.vpcc: unknown key (did you mean 'vpc'?); allowed keys: " + Object.keys(vpcProps.fields).join(', '),
      'props.capacity: is required',
      'props.vpc: is required',
    ]);
  });

  test('extendShape needs an object shape', () => {
    expect(() => extendShape(str, {})).toThrow(/needs an object shape, got a string shape/);
  });

  test('the shape exports stay compatible', () => {
    const shape = obj({ s: str, n: num, b: bool, e: oneOf('x', 'y'), l: arrayOf(str), r: recordOf(num) }, ['s']);
    expect(shapeProblems({ s: 'a', n: 1, b: false, e: 'x', l: ['a'], r: { k: 2 } }, shape)).toEqual([]);
    expect(shapeProblems({ n: 'one', b: 'no', e: 'z', l: 'a', r: [] }, shape)).toEqual([
      'props.s: is required',
      "props.n: must be a number (got the string 'one')",
      "props.b: must be true or false (got the string 'no')",
      "props.e: must be one of x, y (got the string 'z')",
      "props.l: must be a list (got the string 'a')",
      'props.r: must be a map (got an empty list)',
    ]);
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(designShape.kind).toBe('object');
  });

  test('an enum suggests the nearest value and refuses a token, which could not choose what to build', () => {
    const d = smallDesign();
    d.router.routes[0].strategy = 'weigted';
    d.router.models[0].provider = Lazy.string({ produce: () => 'bedrock' });
    expect(problems(d)).toEqual([
      expect.stringMatching(/^router\.models\[0\]\.provider: must be one of bedrock, vertex, azure-openai, endpoint as a literal: .*\(got an unresolved token '\$\{Token\[TOKEN\.\d+\]\}'\)$/),
      "router.routes[0].strategy: must be one of ordered, weighted, tiered (got the string 'weigted'; did you mean 'weighted'?)",
    ]);
  });
});

describe('shape: tokens pass as the values they stand for', () => {
  test('a list token for a list of maps, a map token for a map, a resolvable for a number', () => {
    const shape = obj({ items: arrayOf(obj({ a: str }, ['a'])), labels: recordOf(str), n: num, nested: obj({ a: num }, ['a']) });
    expect(
      shapeProblems(
        {
          items: Lazy.list({ produce: () => [] }),
          labels: TfToken.asStringMap(TfLazy.anyValue({ produce: () => ({}) })),
          n: Lazy.any({ produce: () => 1 }),
          nested: TfLazy.anyValue({ produce: () => ({}) }),
        },
        shape,
      ),
    ).toEqual([]);
    expect(shapeProblems({ items: ['plain'], labels: 'x', n: 'x', nested: 1 }, shape)).toEqual([
      "props.items[0]: must be a map (got the string 'plain')",
      "props.labels: must be a map (got the string 'x')",
      "props.n: must be a number (got the string 'x')",
      'props.nested: must be a map (got 1)',
    ]);
  });
});

describe('isToken: exactly the CDK and cdktf encodings', () => {
  test('real tokens of both libraries', () => {
    const cdk = { produce: () => 1 };
    expect(isToken(Lazy.number(cdk))).toBe(true);
    expect(isToken(Lazy.string({ produce: () => 'x' }))).toBe(true);
    expect(isToken(`arn:aws:s3:::${Lazy.string({ produce: () => 'x' })}`)).toBe(true);
    expect(isToken(Lazy.list({ produce: () => ['x'] }))).toBe(true);
    expect(isToken(Token.asList(Lazy.any({ produce: () => ['x'] })))).toBe(true);
    expect(isToken(`${Lazy.number(cdk)}`)).toBe(true); // a number token written into a string
    expect(isToken(TfLazy.numberValue({ produce: () => 1 }))).toBe(true);
    expect(isToken(TfLazy.stringValue({ produce: () => 'x' }))).toBe(true);
    expect(isToken(TfLazy.listValue({ produce: () => ['x'] }))).toBe(true);
    expect(isToken(TfToken.asNumberList(TfLazy.anyValue({ produce: () => [1] })))).toBe(true);
    expect(isToken(TfToken.asStringMap(TfLazy.anyValue({ produce: () => ({ a: 'b' }) })))).toBe(true);
    expect(isToken(Lazy.any({ produce: () => 1 }))).toBe(true); // a resolvable object
  });

  test('many tokens: the index grows and stays recognised', () => {
    const numbers = Array.from({ length: 2000 }, (_, i) => Lazy.number({ produce: () => i }));
    expect(numbers.every(isToken)).toBe(true);
  });

  test.each([-1e300, -1.9e289, -1.8881545897087e289, -1.95e289, -Number.MAX_VALUE, -1, 0, 1e300, Infinity, -Infinity, NaN, Number.MIN_VALUE])('%p is not a token', (n) => {
    expect(isToken(n)).toBe(false);
  });

  test.each([['${Token[', 'an unclosed marker'], ['${Token[a b]}', 'a key with a space'], ['Token[x]', 'no marker'], ['#{Token[X.1]}', 'a list marker as a plain string']])(
    '%p is not a string token (%s)',
    (s) => {
      expect(isToken(s)).toBe(false);
    },
  );

  test('lists and maps that are not tokens', () => {
    expect(isToken(['#{Token[X.1]}', 'b'])).toBe(false);
    expect(isToken(['a'])).toBe(false);
    expect(isToken([-1e300])).toBe(false);
    expect(isToken({ a: 'b' })).toBe(false);
    expect(isToken({ resolve: 'not a function' })).toBe(false);
  });

  test('-1e300 from a file is validated as the number it is', () => {
    const d = smallDesign();
    d.endpoints[0].capacity.max = -1e300;
    d.router.routes[0].targets[0].weight = -1.9e289;
    const found = problems(d);
    expect(found).toContainEqual(expect.stringMatching(/^endpoints\[0\]\.capacity\.max: must be a whole number >= 1 \(got -1e\+300\)$/));
    expect(found).toContain('router.routes[0].targets[0].weight: must be > 0 (got -1.9e+289)');
  });
});

describe('a design loaded from a file holds no tokens', () => {
  test.each([
    ['a CDK string token', (t: string) => t.replace('name: demo-ai', "name: '${Token[TOKEN.12]}'"), 'name', 'TOKEN.12'],
    ['a cdktf token in a tag', (t: string) => t.replace('application: demo', "application: demo\n  extra:\n    owner: 'x-${TfToken[TOKEN.3]}'"), 'tags.extra.owner', 'TOKEN.3'],
    ['a list token element', (t: string) => `${t}      args: ['#{Token[TOKEN.7]}']\n`, 'endpoints[0].server.args[0]', 'TOKEN.7'],
    ['a CDK number token', (t: string) => t.replace('max: 3', 'max: -1.8881545897087626e+289'), 'endpoints[0].capacity.max', 'e+289'],
    ['a cdktf number token', (t: string) => t.replace('max: 3', `max: ${TfLazy.numberValue({ produce: () => 1 })}`), 'endpoints[0].capacity.max', 'max: -'],
  ])('%s', (_what, edit, path, marker) => {
    const text = edit(VALID);
    const error = designErrorOf(() => parseDesign(text, 'tokens.yaml'));
    const found = error.problems.filter((p) => p.path === path);
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/^must be a literal value, not (a construct token|the encoding of a number token) \(got .*\): tokens exist only inside a CDK or cdktf program/);
    expect(found[0].line).toBe(lineOf(text, marker));
  });

  test('a map token as a key', () => {
    const text = `${HEAD}  extra:\n    '&{TfToken[TOKEN.1]}': x\n${ENDPOINT}`;
    const error = designErrorOf(() => parseDesign(text, 'map.yaml'));
    expect(error.problems[0]).toMatchObject({ path: 'tags.extra["&{TfToken[TOKEN.1]}"]', line: 10 });
    expect(error.problems[0].message).toMatch(/not a construct token as a key/);
  });
});

describe('messages: no undefined, [object Object] or null for values that are not null', () => {
  test('router rules on broken entries', () => {
    const d = smallDesign();
    d.router.models.push({ provider: 'bedrock', model: 'llama-70b' } as never); // no id
    d.router.models.push({ id: { nested: true }, model: 'llama-70b' } as never); // an id that is a map, no provider
    d.router.tenants.push({ monthlyBudgetUsd: 5 } as never, { monthlyBudgetUsd: 6 } as never); // two tenants without id
    d.router.routes[0].targets.push({ model: 'llama-8b' });
    const found = problems(d);
    expect(found).toEqual([
      'router.models[4].id: is required',
      'router.models[5].provider: is required',
      'router.models[5].id: must be a string (got a map)',
      'router.tenants[1].id: is required',
      'router.tenants[2].id: is required',
      "router.models[4].model: unknown model 'llama-70b' for provider bedrock; see the model catalog (docs/design.md)",
      "router.routes[0].targets[2].model: names no model target (got 'llama-8b'); targets: 'haiku', 'flash', 'mini', 'own'",
    ]);
    for (const p of found) expect(p).not.toMatch(/undefined|\[object Object\]|\bnull\b/);
  });

  test('long values are cut at 200 characters and control characters escaped', () => {
    const d = smallDesign();
    d.name = 'x'.repeat(10000);
    d.router.tenants[0].id = 'bad\nid\u0000';
    const [name, id] = problems(d);
    expect(name).toBe(`name: must be 3-20 lowercase letters, digits or hyphens starting with a letter (got '${'x'.repeat(200)}… (9800 more characters)')`);
    expect(id).toBe("router.tenants[0].id: must be 1-63 lowercase letters, digits and hyphens, starting with a letter or digit (got 'bad\\nid\\u0000')");
  });

  test('the design itself and an empty key have readable paths', () => {
    expect(problems(undefined)).toEqual(['(design): is empty: a design is a map with at least name, region and tags (see docs/design.md)']);
    expect(problems(null)).toEqual(['(design): is empty: a design is a map with at least name, region and tags (see docs/design.md)']);
    expect(problems(['a'])).toEqual(['(design): must be a map (got a list of 1)']);
    const d = smallDesign();
    d.tags.extra = { '': 'v' };
    d.endpoints[0][''] = 1;
    expect(problems(d, ['aws'])).toEqual([`endpoints[0][""]: unknown key; allowed keys: ${Object.keys((gpuEndpointShape as { fields: object }).fields).join(', ')}`, 'tags.extra[""]: key must not be empty (got \'\')']);
    expect(formatProblems([{ path: '', message: 'm' }])).toBe('invalid design (1 problem):\n  - (design): m');
    expect(new DesignError([{ path: '', message: 'm' }]).problems[0].path).toBe('(design)');
  });

  test('paths bracket keys that are not plain, and pathSegments reads them back', () => {
    expect(join('tags.extra', '')).toBe('tags.extra[""]');
    expect(join('endpoints[0]', 'capacity.max')).toBe('endpoints[0].capacity.max');
    expect(join('server', 'env.has space')).toBe('server.env["has space"]');
    expect(joinKey('tags.extra', 'app.io/name')).toBe('tags.extra["app.io/name"]');
    expect(joinKey('tags.extra', 'line\nbreak')).toBe('tags.extra["line\\nbreak"]');
    expect(join('', 'name')).toBe('name');
    expect(pathSegments('tags.extra["app.io/name"].x[2][""]')).toEqual(['tags', 'extra', 'app.io/name', 'x', 2, '']);
    expect(pathSegments(joinKey('e', 'a"b]c'))).toEqual(['e', 'a"b]c']);
    expect(pathSegments('(design)')).toEqual(['(design)']);
    const long = join('tags.extra', 'k'.repeat(300));
    expect(long).toBe(`tags.extra["${'k'.repeat(200)}… (100 more characters)"]`);
  });

  test('quote', () => {
    expect(quote(undefined)).toBe('nothing');
    expect(quote(null)).toBe('null');
    expect(quote(NaN)).toBe('NaN');
    expect(quote(-Infinity)).toBe('-Infinity');
    expect(quote({})).toBe('an empty map');
    expect(quote({ a: 1 })).toBe('a map');
    expect(quote([1, 2])).toBe('a list of 2');
    expect(quote(new Date(0))).toBe('an instance of Date');
    expect(quote(Lazy.number({ produce: () => 1 }))).toBe('an unresolved number token');
    expect(quote('a\tb')).toBe("'a\\tb'");
    expect(quote('\u2028')).toBe("'\\u2028'");
    expect(quoteList(['a', 1, { x: 1 }])).toBe("'a', 1, a map");
    expect(quoteList([])).toBe('none');
    expect(quoteList(Array.from({ length: 25 }, (_, i) => i), 20)).toMatch(/, 19 and 5 more$/);
  });
});

describe('loading: alias bombs, empty files, plain data only', () => {
  const bomb = () => {
    let text = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) text += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]\n`;
    return text;
  };

  test('a billion-laughs document is a DesignError, quickly', () => {
    const started = Date.now();
    const error = designErrorOf(() => parseDesign(bomb(), 'bomb.yaml'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.problems).toEqual([{ path: '(syntax)', line: 2, message: expect.stringMatching(/aliases \(\*name\) of this file expand to more than 100 copies.*billion laughs/) }]);
  });

  test('a few aliases are fine', () => {
    const text = `${VALID}router:\n  models: [{ id: a, provider: bedrock, model: claude-3-5-haiku }]\n  routes:\n    - { name: chat, targets: &t [{ model: a }] }\n    - { name: chat2, targets: *t }\n`;
    expect(() => parseDesign(text, 'alias.yaml', { clouds: ['aws'] })).not.toThrow();
  });

  test.each([
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
    ['an empty document', '---\n...\n'],
  ])('%s is a clear DesignError', (_what, text) => {
    const error = designErrorOf(() => parseDesign(text, 'empty.yaml'));
    expect(error.message).toBe('invalid design in empty.yaml (1 problem):\n  - empty.yaml:1: (design): the file is empty: a design is a map with at least name, region and tags (see docs/design.md)');
  });

  test('a document that is not a map', () => {
    const error = designErrorOf(() => parseDesign('- a\n- b\n', 'list.yaml'));
    expect(error.problems).toEqual([{ path: '(design)', message: 'must be a map (got a list of 2)', line: 1 }]);
    const nul = designErrorOf(() => parseDesign('~\n', 'null.yaml'));
    expect(nul.problems[0]).toMatchObject({ path: '(design)', message: expect.stringMatching(/^is empty/) });
  });

  test.each([
    ['!!set', 'region: !!set { aws }', 2],
    ['!!binary', 'name: !!binary ZGVtby1haQ==', 1],
    ['!!timestamp', 'name: !!timestamp 2001-12-14', 1],
    ['a custom tag', 'name: !vault demo-ai', 1],
  ])('YAML that is not plain data is refused: %s', (_what, line, at) => {
    const text = VALID.replace(line.startsWith('region') ? 'region:\n  aws: us-east-1' : 'name: demo-ai', line);
    const error = designErrorOf(() => parseDesign(text, 'tag.yaml'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ path: '(syntax)', line: at });
  });

  test('a list or a map as a key is refused without a process warning', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const error = designErrorOf(() => parseDesign(`${VALID}? [a, b]\n: 1\n`, 'key.yaml'));
      expect(error.problems).toEqual([{ path: '(syntax)', message: 'a map key must be a plain string, not a list or a map', line: 16 }]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('tokens from TypeScript callers are not validated as literals', () => {
  // The router refuses tokens instead: its config is fixed at synth (test/design/validate.test.ts).
  test('budget, vector store, guardrails and tags skip tokens', () => {
    const d = smallDesign();
    d.budget.notifyEmails = [TfLazy.stringValue({ produce: () => 'x' })];
    d.budget.hardStop = { atPercent: Lazy.number({ produce: () => 0 }) };
    d.vectorStore = { name: Lazy.string({ produce: () => 'X' }), chunking: { maxTokens: Lazy.number({ produce: () => 1 }) }, refreshSchedule: Lazy.string({ produce: () => 'never' }) };
    // A token word, not a token list: each word becomes its own filter at synth on AWS (lib/aws/guardrail/rules.ts).
    d.guardrails = { blockedWords: [Lazy.string({ produce: () => '' })], blockedMessage: Lazy.string({ produce: () => '' }) };
    d.tags.extra = { owner: Lazy.string({ produce: () => '<bad>' }) };
    d.accounts = { aws: Lazy.string({ produce: () => 'x' }) };
    expect(problems(d)).toEqual([]);
  });
});

describe('every problem of validateDesign has a non-empty path', () => {
  test('a design of wrong types everywhere', () => {
    const error = designErrorOf(() => validateDesign({ name: 5, region: 'us', tags: [], endpoints: {}, router: 'r', budget: 7, prices: { models: 'x' } } as never));
    expect(error.problems.every((p) => p.path !== '')).toBe(true);
    expect([...new Set(error.problems.map((p) => p.path))]).toEqual(['name', 'region', 'tags', 'endpoints', 'router', 'budget', 'prices.models']);
  });
});
