import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkText, type Chunk } from '../../lib/ingest/chunk';
import { extractText } from '../../lib/ingest/extract';
import type { WorkMeter } from '../../lib/ingest/meter';
import { countTokens } from '../../lib/ingest/tokens';
import { hasLoneSurrogate, reassemble, utf8Bytes } from './chunk-support';

const fixture = (name: string): string => {
  const bytes = readFileSync(join(__dirname, 'fixtures', 'chunking', name));
  return extractText(bytes, { fileName: name }).text;
};
const FIXTURES: Record<string, string> = { text: fixture('guide.txt'), markdown: fixture('handbook.md'), html: fixture('page.html') };
const SETTINGS = [
  { maxTokens: 300, overlapPercent: 20 },
  { maxTokens: 40, overlapPercent: 20 },
  { maxTokens: 25, overlapPercent: 50 },
  { maxTokens: 60, overlapPercent: 0 },
];

/** The invariants every chunking must keep, whatever the text. */
function expectSound(text: string, chunks: readonly Chunk[], maxTokens: number, overlapTokens: number): void {
  expect(reassemble(chunks)).toBe(text);
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.tokens).toBe(countTokens(c.text));
    expect(c.tokens).toBeLessThanOrEqual(maxTokens);
    expect(hasLoneSurrogate(c.text)).toBe(false);
    if (i === 0) expect(c.overlap).toBe(0);
    else {
      // The overlap is exactly the previous chunk's tail, and no more than configured.
      expect(c.start).toBe(chunks[i - 1].end - c.overlap);
      expect(c.overlap).toBeGreaterThanOrEqual(0);
      expect(countTokens(c.text.slice(0, c.overlap))).toBeLessThanOrEqual(overlapTokens);
    }
  });
}

describe('fixed chunking on the fixtures', () => {
  for (const [format, text] of Object.entries(FIXTURES)) {
    for (const s of SETTINGS) {
      it(`${format}, ${s.maxTokens} tokens, ${s.overlapPercent}% overlap: within the limit, no text lost or repeated beyond the overlap`, () => {
        const chunks = chunkText(`docs/${format}`, text, s);
        if (countTokens(text) > s.maxTokens) expect(chunks.length).toBeGreaterThan(1);
        expectSound(text, chunks, s.maxTokens, Math.floor((s.maxTokens * s.overlapPercent) / 100));
      });
    }
  }

  it('overlaps by the configured share, less at most the word it snaps to', () => {
    const text = FIXTURES.text.repeat(4);
    for (const overlapPercent of [10, 20, 50]) {
      const maxTokens = 100;
      const target = Math.floor((maxTokens * overlapPercent) / 100);
      const chunks = chunkText('d', text, { maxTokens, overlapPercent });
      for (const c of chunks.slice(1)) {
        const got = countTokens(c.text.slice(0, c.overlap));
        expect(got).toBeLessThanOrEqual(target);
        expect(got).toBeGreaterThanOrEqual(target - 6);
      }
    }
  });

  it('no overlap at 0%: chunks tile the text', () => {
    const chunks = chunkText('d', FIXTURES.text, { maxTokens: 50, overlapPercent: 0 });
    for (const c of chunks) expect(c.overlap).toBe(0);
    expect(chunks.map((c) => c.text).join('')).toBe(FIXTURES.text);
  });

  it('uses the design defaults (300 tokens, 20%)', () => {
    const text = FIXTURES.text.repeat(3);
    const chunks = chunkText('d', text);
    expectSound(text, chunks, 300, 60);
    expect(Math.max(...chunks.map((c) => c.tokens))).toBeGreaterThan(150);
  });

  it('cuts at sentence ends when the window holds one', () => {
    // At 200 tokens the cut may move back over 80 tokens, longer than any sentence of the fixture.
    const chunks = chunkText('d', FIXTURES.text, { maxTokens: 200, overlapPercent: 20 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/(\n\n|[.!?] )$/);
  });

  it('prefers a paragraph break to a later sentence end, and a sentence end to a later word break', () => {
    const sentence = 'One short sentence here. ';
    const para = sentence.repeat(6) + '\n\n' + sentence.repeat(3) + 'and then words without any stop '.repeat(20);
    const [first] = chunkText('d', para, { maxTokens: 80, overlapPercent: 20 });
    expect(first.text.endsWith('\n\n')).toBe(true);
    const prose = sentence.repeat(8) + 'words without any stop '.repeat(40);
    const [p1] = chunkText('d', prose, { maxTokens: 80, overlapPercent: 20 });
    expect(p1.text.endsWith('here. ')).toBe(true);
  });

  it('cuts between words, never inside one, when a text has no sentences', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `word${i % 97}`).join(' ');
    const chunks = chunkText('d', words, { maxTokens: 50, overlapPercent: 20 });
    expectSound(words, chunks, 50, 10);
    for (const c of chunks.slice(0, -1)) expect(c.text.endsWith(' ')).toBe(true);
    for (const c of chunks.slice(1)) expect(c.text[0]).toMatch(/w/);
  });
});

describe('the embedding models\' limits', () => {
  // UTF-8 bytes bound the tokens of any byte-level BPE or byte-fallback tokenizer from above.
  const cases: Record<string, string> = {
    cjk: '检索增强生成把文档切分成块，再把每个块嵌入成向量。'.repeat(400),
    emoji: '😀👍🏽👨‍👩‍👧‍👦🇯🇵'.repeat(400),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: every chunk fits text-embedding-005 (2,048 tokens) even when bounded by bytes`, () => {
      const chunks = chunkText('d', text, { maxTokens: 8192, overlapPercent: 20, modelMaxTokens: 2048 });
      expectSound(text, chunks, 2048, Math.floor(2048 * 0.2));
      for (const c of chunks) expect(utf8Bytes(c.text)).toBeLessThanOrEqual(2048);
    });
  }

  it('code: every chunk stays under the model limit by its symbols and by UTF-8 bytes / 3', () => {
    const code = readFileSync(join(__dirname, '..', '..', 'lib', 'ingest', 'chunk.ts'), 'utf8').repeat(3);
    const chunks = chunkText('d', code, { maxTokens: 8192, overlapPercent: 10, modelMaxTokens: 2048 });
    expectSound(code, chunks, 2048, 204);
    for (const c of chunks) {
      expect(c.text.replace(/[A-Za-z\s]/g, '').length).toBeLessThanOrEqual(2048);
      expect(Math.ceil(utf8Bytes(c.text) / 3)).toBeLessThanOrEqual(2048);
    }
  });

  it("'none' keeps a document whole, and refuses one above the model's limit", () => {
    expect(chunkText('d', FIXTURES.text, { strategy: 'none' })).toEqual([expect.objectContaining({ start: 0, end: FIXTURES.text.length, text: FIXTURES.text, overlap: 0 })]);
    expect(() => chunkText('d', 'x '.repeat(5000), { strategy: 'none', modelMaxTokens: 2048 })).toThrow(/more than the embedding model takes \(2048\)/);
  });

  it('refuses strategies the runtime does not do, and sizes that cannot hold a character', () => {
    expect(() => chunkText('d', 'x', { strategy: 'semantic' })).toThrow(/Bedrock/);
    expect(() => chunkText('d', 'x', { maxTokens: 3 })).toThrow(RangeError);
    expect(chunkText('d', '')).toEqual([]);
  });
});

describe('chunk ids', () => {
  it('are the same on two runs over the same text, and differ when the text changes', () => {
    const a = chunkText('docs/guide.txt', FIXTURES.text, { maxTokens: 60 });
    const b = chunkText('docs/guide.txt', FIXTURES.text, { maxTokens: 60 });
    expect(b.map((c) => c.id)).toEqual(a.map((c) => c.id));
    expect(new Set(a.map((c) => c.id)).size).toBe(a.length);
    expect(a[0].id).toMatch(/^docs\/guide\.txt#0-[0-9a-f]{16}$/);
    const changed = chunkText('docs/guide.txt', FIXTURES.text.replace('Chunk size is a trade', 'Chunk size is a compromise'), { maxTokens: 60 });
    const before = new Set(a.map((c) => c.id));
    const differing = changed.filter((c) => !before.has(c.id));
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.length).toBeLessThan(changed.length); // chunks before the edit keep their ids
  });
});

describe('adversarial input, in linear work', () => {
  const MB = 1 << 20;
  function work(text: string, options = {}): { steps: number; chunks: Chunk[] } {
    const meter: WorkMeter = { steps: 0 };
    const chunks = chunkText('d', text, { ...options, meter });
    return { steps: meter.steps, chunks };
  }
  const inputs: Record<string, (size: number) => string> = {
    'no spaces': (size) => 'a'.repeat(size),
    'one emoji': (size) => '😀'.repeat(size / 4), // size bytes of UTF-8
    'one space-free identifier soup': (size) => 'aZ9_'.repeat(size / 4),
  };
  for (const [name, make] of Object.entries(inputs)) {
    it(`1 MB of ${name}: chunks sound, work proportional to size`, () => {
      const half = work(make(MB / 2));
      const full = work(make(MB));
      const text = make(MB);
      expect(reassemble(full.chunks)).toBe(text);
      for (const c of full.chunks) {
        expect(c.tokens).toBeLessThanOrEqual(300);
        expect(hasLoneSurrogate(c.text)).toBe(false);
      }
      expect(full.steps).toBeLessThanOrEqual(4 * text.length);
      expect(full.steps / half.steps).toBeLessThan(2.2);
    });
  }

  it('a high overlap still advances by a bounded share of each chunk', () => {
    const text = 'lorem ipsum dolor sit amet '.repeat(20000);
    const { steps, chunks } = work(text, { maxTokens: 20, overlapPercent: 99 });
    expect(reassemble(chunks)).toBe(text);
    expect(steps).toBeLessThanOrEqual(200 * text.length);
  });
});
