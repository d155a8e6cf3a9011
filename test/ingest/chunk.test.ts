import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkText, type Chunk } from '../../lib/ingest/chunk';
import { extractText, type DocumentFormat } from '../../lib/ingest/extract';
import type { WorkMeter } from '../../lib/ingest/meter';
import { chunkId } from '../../lib/ingest/run';
import { countTokens } from '../../lib/ingest/tokens';
import { hasLoneSurrogate, isWordStart, reassemble, reassembleByOffsets, unsnappedOverlapStart, utf8Bytes } from './chunk-support';
import { reportPdf } from './fixtures/chunking/report-pdf';
import { usePdfjsFromNode } from './fixtures/pdfjs-native';

usePdfjsFromNode();

/** The four formats' fixtures as the runtime extracts them (filled before the tests run). */
const FIXTURES = {} as Record<DocumentFormat, string>;
const FORMATS: readonly DocumentFormat[] = ['text', 'markdown', 'html', 'pdf'];
beforeAll(async () => {
  const file = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', 'chunking', name));
  const sources: Record<DocumentFormat, [Buffer, string]> = { text: [file('guide.txt'), 'guide.txt'], markdown: [file('handbook.md'), 'handbook.md'], html: [file('page.html'), 'page.html'], pdf: [reportPdf(), 'report.pdf'] };
  for (const format of FORMATS) {
    const [bytes, fileName] = sources[format];
    const extracted = await extractText(bytes, { fileName });
    expect(extracted.format).toBe(format);
    FIXTURES[format] = extracted.text;
  }
});
const SETTINGS = [
  { maxTokens: 300, overlapPercent: 20 },
  { maxTokens: 40, overlapPercent: 20 },
  { maxTokens: 25, overlapPercent: 50 },
  { maxTokens: 60, overlapPercent: 0 },
];

/** The invariants every chunking must keep, whatever the text. */
function expectSound(text: string, chunks: readonly Chunk[], maxTokens: number, overlapTokens: number): void {
  expect(reassemble(chunks)).toBe(text);
  expect(reassembleByOffsets(chunks)).toBe(text);
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
  for (const format of FORMATS) {
    for (const s of SETTINGS) {
      it(`${format}, ${s.maxTokens} tokens, ${s.overlapPercent}% overlap: within the limit, no text lost or repeated beyond the overlap`, () => {
        const text = FIXTURES[format];
        expect(text.length).toBeGreaterThan(900);
        const chunks = chunkText(`docs/${format}`, text, s);
        if (countTokens(text) > s.maxTokens) expect(chunks.length).toBeGreaterThan(1);
        expectSound(text, chunks, s.maxTokens, Math.floor((s.maxTokens * s.overlapPercent) / 100));
      });
    }
  }

  for (const format of FORMATS) {
    it(`${format}: overlaps by the configured share, starting on a word, giving up at most half of it to reach one`, () => {
      const text = FIXTURES[format].repeat(4);
      for (const overlapPercent of [10, 20, 50]) {
        const maxTokens = 100;
        const target = Math.floor((maxTokens * overlapPercent) / 100);
        const chunks = chunkText('d', text, { maxTokens, overlapPercent });
        expect(chunks.length).toBeGreaterThan(3);
        chunks.slice(1).forEach((c, i) => {
          const prev = chunks[i];
          const raw = unsnappedOverlapStart(text, prev.start, prev.end, target);
          expect(countTokens(c.text.slice(0, c.overlap))).toBeLessThanOrEqual(target);
          expect(c.start).toBeGreaterThanOrEqual(raw);
          expect(c.start - raw).toBeLessThanOrEqual(Math.ceil((prev.end - raw) / 2));
          if (c.start > raw) expect(isWordStart(text, c.start)).toBe(true);
          // Space-separated prose loses at most a word to the snap (the longest here, "text-embedding-005", is 6 tokens).
          // The Markdown fixture's Chinese line has no spaces to snap to: see docs/ingest.md.
          if (format !== 'markdown') expect(countTokens(c.text.slice(0, c.overlap))).toBeGreaterThanOrEqual(target - 7);
        });
      }
    });
  }

  it('pdf: cuts at the paragraph and line breaks the extraction gives, not inside lines', () => {
    const chunks = chunkText('d', FIXTURES.pdf, { maxTokens: 120, overlapPercent: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/\n$/);
    expect(chunks.filter((c) => c.text.endsWith('\n\n')).length).toBeGreaterThan(0);
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

describe('chunk ids (one scheme: run.ts chunkId, from the document, its content hash and the chunk index)', () => {
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  const ids = (docId: string, content: string): string[] => chunkText(docId, content, { maxTokens: 60 }).map((c) => chunkId(docId, sha(content), c.index));

  it('chunks carry no id of their own, only the index the id is made from', () => {
    const [first] = chunkText('d', FIXTURES.text, { maxTokens: 60 });
    expect(Object.keys(first).sort()).toEqual(['docId', 'end', 'index', 'overlap', 'start', 'text', 'tokens']);
  });

  it('are the same on two runs over the same content, unique in a document, and all new when the content changes', () => {
    const a = ids('docs/guide.txt', FIXTURES.text);
    expect(ids('docs/guide.txt', FIXTURES.text)).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    // New ids for every chunk of a changed document: its old chunks stay queryable until the new ones are in.
    const changed = ids('docs/guide.txt', FIXTURES.text.replace('Chunk size is a trade', 'Chunk size is a compromise'));
    expect(changed.filter((id) => a.includes(id))).toEqual([]);
    expect(ids('docs/other.txt', FIXTURES.text).filter((id) => a.includes(id))).toEqual([]);
  });

  it('are valid Vector Search datapoint ids and Azure AI Search keys, whatever the document path', () => {
    for (const id of ids('docs/Übersicht (v2)/#1 ?.pdf', FIXTURES.pdf)) expect(id).toMatch(/^[A-Za-z0-9-]+$/);
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
