import { INGEST_ENV } from '../../../lib/ingest/deploy-env';
import { documentChunker, IngestConfigError, readDeployment, required } from '../../../lib/ingest/handlers/deployment';
import { countTokens } from '../../../lib/ingest/tokens';
import { expectedPdfText, REPORT_PAGES, reportPdf } from '../fixtures/chunking/report-pdf';
import { usePdfjsFromNode } from '../fixtures/pdfjs-native';

usePdfjsFromNode();

const CHUNKING = { strategy: 'fixed', maxTokens: 300, overlapPercent: 20 } as const;
/** What a VectorStore construct sets, every variable well-formed. */
const VALID: NodeJS.ProcessEnv = {
  [INGEST_ENV.name]: 'docs',
  [INGEST_ENV.chunking]: JSON.stringify(CHUNKING),
  [INGEST_ENV.embeddingModel]: 'text-embedding-005',
  [INGEST_ENV.dimensions]: '768',
  [INGEST_ENV.distance]: 'cosine',
  [INGEST_ENV.costPerMillionTokensUsd]: '0.025',
};
const without = (variable: string): NodeJS.ProcessEnv => {
  const env = { ...VALID };
  delete env[variable];
  return env;
};
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('readDeployment', () => {
  it('reads what the construct sets; the cost defaults to 0 and the test endpoints to none', () => {
    expect(readDeployment(VALID)).toEqual({ name: 'docs', chunking: CHUNKING, embeddingModel: 'text-embedding-005', dimensions: 768, distance: 'cosine', costPerMillionTokensUsd: 0.025, apiBases: {} });
    const bases = { vertex: 'http://127.0.0.1:9000', storage: 'http://127.0.0.1:9001' };
    const d = readDeployment({ ...without(INGEST_ENV.costPerMillionTokensUsd), [INGEST_ENV.apiBases]: JSON.stringify(bases), [INGEST_ENV.name]: '  docs  ' });
    expect(d.costPerMillionTokensUsd).toBe(0);
    expect(readDeployment({ ...VALID, [INGEST_ENV.embeddingRequestsPerMinute]: '2100' }).embeddingRequestsPerMinute).toBe(2100);
    expect(d.apiBases).toEqual(bases);
    expect(d.name).toBe('docs');
  });

  const requiredVariables = [INGEST_ENV.name, INGEST_ENV.chunking, INGEST_ENV.embeddingModel, INGEST_ENV.dimensions, INGEST_ENV.distance];
  for (const variable of requiredVariables) {
    it(`refuses a missing or blank ${variable}, by name`, () => {
      for (const env of [without(variable), { ...VALID, [variable]: '' }, { ...VALID, [variable]: '  \t' }]) {
        expect(() => readDeployment(env)).toThrow(IngestConfigError);
        expect(() => readDeployment(env)).toThrow(new RegExp(`^${variable} is not set: it must hold .+ \\(the VectorStore construct sets it\\)$`));
      }
    });
  }

  const malformed: [string, string, string, RegExp][] = [
    ['chunking not JSON', INGEST_ENV.chunking, '{strategy: fixed}', /is not JSON: it must hold the chunking as JSON/],
    ['chunking JSON null', INGEST_ENV.chunking, 'null', /must hold the chunking as JSON.+with strategy 'fixed' or 'none'/],
    ['chunking of a Bedrock-only strategy', INGEST_ENV.chunking, JSON.stringify({ ...CHUNKING, strategy: 'semantic' }), /with strategy 'fixed' or 'none'/],
    ['chunking without maxTokens', INGEST_ENV.chunking, JSON.stringify({ strategy: 'fixed', overlapPercent: 20 }), /must hold the chunking as JSON/],
    ['chunking with a string overlap', INGEST_ENV.chunking, JSON.stringify({ ...CHUNKING, overlapPercent: '20' }), /must hold the chunking as JSON/],
    ['distance of another vocabulary', INGEST_ENV.distance, 'dotProduct', /must be 'cosine', 'euclidean' or 'dot-product' \(got 'dotProduct'\)/],
    ['dimensions not a number', INGEST_ENV.dimensions, '768d', /must be a whole number > 0/],
    ['dimensions fractional', INGEST_ENV.dimensions, '76.8', /must be a whole number > 0/],
    ['dimensions zero', INGEST_ENV.dimensions, '0', /must be a whole number > 0/],
    ['cost negative', INGEST_ENV.costPerMillionTokensUsd, '-1', /must be a number >= 0/],
    ['cost not a number', INGEST_ENV.costPerMillionTokensUsd, 'free', /must be a number >= 0/],
    ['request rate zero', INGEST_ENV.embeddingRequestsPerMinute, '0', /AI_STACK_INGEST_EMBEDDING_RPM must be a number > 0/],
    ['request rate not a number', INGEST_ENV.embeddingRequestsPerMinute, 'fast', /must be a number > 0 .*got 'fast'/],
    ['API bases not JSON', INGEST_ENV.apiBases, 'http://127.0.0.1:9000', /is not JSON: it must hold a JSON object of base URLs/],
  ];
  for (const [what, variable, value, message] of malformed) {
    it(`refuses ${what}, naming ${variable}`, () => {
      const call = () => readDeployment({ ...VALID, [variable]: value });
      expect(call).toThrow(IngestConfigError);
      expect(call).toThrow(new RegExp(`^${variable} `));
      expect(call).toThrow(message);
    });
  }

  it('quotes at most 40 characters of a wrong distance', () => {
    expect(() => readDeployment({ ...VALID, [INGEST_ENV.distance]: 'x'.repeat(5000) })).toThrow(`(got '${'x'.repeat(40)}')`);
  });

  it('required(): the value trimmed, or the variable named with what it must hold', () => {
    expect(required({ A: ' v ' }, 'A', 'a thing')).toBe('v');
    expect(() => required({}, 'A', 'a thing')).toThrow('A is not set: it must hold a thing (the VectorStore construct sets it)');
  });
});

describe('documentChunker', () => {
  const html = '<html><head><title>T</title><style>p{}</style></head><body><h1>Heading</h1><p>Body &amp; text.</p></body></html>';
  const chunk = documentChunker(CHUNKING, 2048);

  it('picks the format from the content type first', async () => {
    // An .md served as HTML is HTML: the store's content type is what the uploader said.
    expect(await chunk({ id: 'docs/page.md', bytes: utf8(html), contentType: 'text/html; charset=utf-8' })).toEqual(['T\n\nHeading\n\nBody & text.']);
    expect(await chunk({ id: 'docs/page.html', bytes: utf8(html), contentType: 'text/plain' })).toEqual([html]);
  });

  it('then from the extension, when the content type is missing or generic', async () => {
    expect(await chunk({ id: 'docs/page.html', bytes: utf8(html) })).toEqual(['T\n\nHeading\n\nBody & text.']);
    expect(await chunk({ id: 'docs/page.htm', bytes: utf8(html), contentType: 'application/octet-stream' })).toEqual(['T\n\nHeading\n\nBody & text.']);
    expect(await chunk({ id: 'docs/notes.md', bytes: utf8(html), contentType: 'binary/octet-stream' })).toEqual([html]);
    const tiled = documentChunker({ ...CHUNKING, overlapPercent: 0 }, 2048);
    expect((await tiled({ id: 'docs/report.pdf', bytes: reportPdf(), contentType: 'application/octet-stream' })).join('')).toBe(expectedPdfText(REPORT_PAGES));
    await expect(chunk({ id: 'docs/photo.png', bytes: utf8('x'), contentType: 'application/octet-stream' })).rejects.toThrow(/unsupported file 'docs\/photo.png'/);
  });

  it("cuts to the embedding model's limit when the design's chunk size is larger", async () => {
    const text = 'Every chunk must fit the embedding model. '.repeat(400);
    const big = { strategy: 'fixed', maxTokens: 8000, overlapPercent: 0 } as const;
    const chunks = await documentChunker(big, 64)({ id: 'docs/long.txt', bytes: utf8(text) });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(countTokens(c)).toBeLessThanOrEqual(64);
    expect(chunks.join('')).toBe(text);
    // Within the model's limit, the design's size rules.
    for (const c of await documentChunker({ ...big, maxTokens: 32 }, 64)({ id: 'docs/long.txt', bytes: utf8(text) })) expect(countTokens(c)).toBeLessThanOrEqual(32);
  });

  it("with 'none', refuses a document above the model's limit instead of sending what the model would truncate", async () => {
    const none = documentChunker({ strategy: 'none', maxTokens: 300, overlapPercent: 0 }, 64);
    expect(await none({ id: 'a.txt', bytes: utf8('short document') })).toEqual(['short document']);
    await expect(none({ id: 'a.txt', bytes: utf8('word '.repeat(500)) })).rejects.toThrow(/document 'a.txt' has ~\d+ tokens, more than the embedding model takes \(64\)/);
  });
});
