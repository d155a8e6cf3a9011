import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageText, readPdfText } from '../../lib/ingest/pdf';
import { expectedPdfText, REPORT_PAGES, reportPdf } from './fixtures/chunking/report-pdf';
import { writePdf } from './fixtures/pdf-writer';
import { nodeRequire, usePdfjsFromNode } from './fixtures/pdfjs-native';

usePdfjsFromNode();

const ROOT = join(__dirname, '..', '..');
const latin1 = (b: Buffer): string => b.toString('latin1');
const fromLatin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const SECRET = 'The merger closes on 14 March at a price of 41 dollars a share.';

describe('readPdfText', () => {
  it('reads every page in order: lines by line breaks, paragraphs and pages by blank lines, empty pages dropped', async () => {
    const result = await readPdfText(reportPdf());
    expect(result).toEqual({ ok: true, text: expectedPdfText(REPORT_PAGES), pages: REPORT_PAGES.length });
    const text = result.ok ? result.text : '';
    expect(text).toContain('(parentheses) and a backslash \\ stay');
    expect(text).toContain('café, naïve, © 2026');
    expect(text).toContain('One line shown by three text operators.');
    expect(text).not.toMatch(/\r|\n{3}|[ \t]\n/);
  });

  it('reads a file whose cross-reference offset is wrong (pdf.js rebuilds the table), since its text is whole', async () => {
    const pdf = fromLatin1(latin1(writePdf([[SECRET]])).replace(/startxref\n\d+/, 'startxref\n17'));
    expect(await readPdfText(pdf)).toEqual({ ok: true, text: SECRET, pages: 1 });
  });

  const refused: Record<string, [() => Buffer, RegExp]> = {
    'password-protected': [() => writePdf([[SECRET]], { encrypt: { userPassword: 'user', ownerPassword: 'owner' } }), /^the PDF is password-protected/],
    'encrypted, though it opens without a password': [() => writePdf([[SECRET]], { encrypt: { userPassword: '', ownerPassword: 'owner' } }), /^the PDF is encrypted \(security handler 'Standard'\)/],
    'not a PDF': [() => fromLatin1(`%PDF-1.7\n${SECRET}\n`), /^the PDF is broken: Invalid PDF structure/],
    empty: [() => Buffer.alloc(0), /^the PDF is broken: .*empty/],
    'cut off after 400 bytes': [() => writePdf([[SECRET], [SECRET]]).subarray(0, 400), /^the PDF is broken/],
    'with a root that points nowhere': [() => fromLatin1(latin1(writePdf([[SECRET]])).replace('/Root 1 0 R', '/Root 99 0 R')), /^the PDF is broken: Invalid Root reference/],
    'whose page tree names a missing page': [() => fromLatin1(latin1(writePdf([[SECRET], [SECRET]])).replace('/Kids [4 0 R', '/Kids [40 0 R')), /^the PDF cannot be read: \w+: Page dictionary kid/],
  };
  for (const [name, [make, reason]] of Object.entries(refused)) {
    it(`refuses a file ${name}, naming the reason and none of its text`, async () => {
      const result = await readPdfText(make());
      expect(result.ok).toBe(false);
      const why = result.ok ? '' : result.reason;
      expect(why).toMatch(reason);
      expect(why.length).toBeLessThanOrEqual(200);
      for (const word of ['merger', 'March', 'dollars']) expect(why).not.toContain(word);
    });
  }

  it('the encrypted fixture is a real encryption: with its password check passed, pdf.js decrypts the text', async () => {
    // What the refusal above withholds is readable, so the refusal is a decision, not a failure.
    const encrypted = writePdf([[SECRET]], { encrypt: { userPassword: 'user', ownerPassword: 'owner' } });
    expect(latin1(encrypted)).not.toContain('merger');
    const pdfjs = nodeRequire('pdfjs-dist/legacy/build/pdf.mjs');
    const doc = await pdfjs.getDocument({ data: new Uint8Array(encrypted), password: 'user', isEvalSupported: false, verbosity: 0 }).promise;
    const items = (await (await doc.getPage(1)).getTextContent()).items as { str: string }[];
    expect(items.map((i) => i.str).join('')).toBe(SECRET);
    await doc.destroy();
  });
});

describe('pageText', () => {
  const item = (str: string, y: number, hasEOL = false, height = 12) => ({ str, hasEOL, height, transform: [12, 0, 0, 12, 72, y] });

  it('breaks lines where pdf.js marks an end of line, and paragraphs where the next line is more than 1.5 lines lower', () => {
    expect(pageText([item('a', 700, true), item('b', 686, true), item('c', 658, true), item('d', 630)])).toBe('a\nb\n\nc\n\nd');
    expect(pageText([item('a', 700, true), item('b', 682)])).toBe('a\nb'); // 18 = 1.5 lines: not a paragraph
  });

  it('joins the items of a line as shown; drops layout spaces before a break and around the page', () => {
    expect(pageText([item('  one ', 700), item('two  ', 700, true), item('', 700, true), item('three\r\nfour ', 686)])).toBe('one two\nthree\nfour');
  });
});

describe('the compiled module in Node (dist/lib, as shipped)', () => {
  const compiled = join(ROOT, 'dist', 'lib', 'ingest', 'extract.js');
  let dir: string;
  beforeAll(() => {
    if (!existsSync(compiled)) throw new Error('dist/lib is missing: run `npm run -s build` first (npm test does)');
    dir = mkdtempSync(join(tmpdir(), 'ai-stack-pdf-'));
    writeFileSync(join(dir, 'report.pdf'), reportPdf());
    // The bundles ship no node_modules, so pdf.js finds no @napi-rs/canvas (its DOMMatrix source) there.
    writeFileSync(join(dir, 'no-canvas.js'), [
      `const Module = require('node:module');`,
      `const resolve = Module._resolveFilename;`,
      `Module._resolveFilename = function (request, ...rest) {`,
      `  if (request === '@napi-rs/canvas') throw Object.assign(new Error("Cannot find module '@napi-rs/canvas'"), { code: 'MODULE_NOT_FOUND' });`,
      `  return resolve.call(this, request, ...rest);`,
      `};`,
    ].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Extracts the fixture in a fresh Node process; pdf.js's load-time warnings go to stdout, the result is the last line. */
  function extractInNode(preload: string[]): unknown {
    const script = [
      `const bytes = new Uint8Array(require('node:fs').readFileSync(process.argv[1]));`,
      `require(${JSON.stringify(compiled)}).extractText(bytes, { fileName: 'report.pdf' })`,
      `  .then((r) => process.stdout.write('\\n' + JSON.stringify({ ...r, bytesAfter: bytes.byteLength, matrix: typeof DOMMatrix })));`,
    ].join('\n');
    const out = execFileSync(process.execPath, [...preload, '-e', script, join(dir, 'report.pdf')], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!);
  }

  // Here pdf.js runs in the caller's realm, so this also shows the caller's buffer is left whole
  // (pdf.js detaches the buffer it is handed; under jest, a cross-realm array is copied anyway).
  it('loads pdf.js through the import() tsc keeps, reads the fixture, and leaves the caller\'s bytes whole', () => {
    expect(readFileSync(join(ROOT, 'dist', 'lib', 'ingest', 'pdf.js'), 'utf8')).toContain("import('pdfjs-dist/legacy/build/pdf.mjs')");
    expect(extractInNode([])).toEqual({ format: 'pdf', text: expectedPdfText(REPORT_PAGES), bytesAfter: reportPdf().length, matrix: 'function' });
  });

  it('reads PDF without @napi-rs/canvas too, as in the bundles (a DOMMatrix stand-in lets pdf.js load)', () => {
    expect(extractInNode(['-r', join(dir, 'no-canvas.js')])).toEqual({ format: 'pdf', text: expectedPdfText(REPORT_PAGES), bytesAfter: reportPdf().length, matrix: 'function' });
  });
});
