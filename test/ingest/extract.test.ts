import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFormat, extractText, UnsupportedContentError } from '../../lib/ingest/extract';
import { htmlToText } from '../../lib/ingest/html';
import type { WorkMeter } from '../../lib/ingest/meter';
import { expectedPdfText, REPORT_PAGES, reportPdf } from './fixtures/chunking/report-pdf';
import { usePdfjsFromNode } from './fixtures/pdfjs-native';

usePdfjsFromNode();

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', 'chunking', name));

describe('extractText', () => {
  it('plain text: UTF-8 with its BOM stripped and line breaks as \\n', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('héllo\r\nworld\rend 😀')]);
    expect(await extractText(bytes, { contentType: 'text/plain; charset=utf-8' })).toEqual({ format: 'text', text: 'héllo\nworld\nend 😀' });
  });

  it('honours a declared charset', async () => {
    expect((await extractText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]), { contentType: 'text/plain; charset=ISO-8859-1' })).text).toBe('café');
    await expect(extractText(utf8('x'), { contentType: 'text/plain; charset=klingon' })).rejects.toThrow(/unsupported charset 'klingon'/);
  });

  it('Markdown: kept as written, headings and code included', async () => {
    const md = fixture('handbook.md').toString('utf8');
    const { format, text } = await extractText(fixture('handbook.md'), { fileName: 'handbook.md' });
    expect(format).toBe('markdown');
    expect(text).toBe(md);
    expect(text).toContain('# Vector store handbook\n');
    expect(text).toContain('### Boundaries');
  });

  it('HTML fixture: visible text only, entities decoded, blocks on their own lines', async () => {
    const { format, text } = await extractText(fixture('page.html'), { contentType: 'text/html' });
    expect(format).toBe('html');
    expect(text).not.toMatch(/[<>]p|font-family|alert|navigation is chrome|DOCTYPE/);
    expect(text.startsWith('Release notes — ingestion\n\nHome | Docs\n\nRelease notes\n\nThe ingestion runtime now reads HTML documents')).toBe(true);
    expect(text).toContain('such as &, <, >, é and 😀 are decoded.');
    expect(text).toContain('Block elements become line breaks, and runs of whitespace collapse to one space, as a browser shows them.');
    expect(text).toContain('Paragraphs end with a blank line.\nList items end with a line break.');
    expect(text).toContain('model limit\ntext-embedding-005 2,048 tokens\n');
    expect(text).toContain('function keep(spaces) {\n    return spaces;\n}');
    expect(text).toContain('Attributes with a ">" inside quotes do not end a tag.');
    expect(text).not.toMatch(/\n{3}|[ \t]\n/);
    expect(text.replace('\n    return', '\nreturn')).not.toMatch(/ {2}/);
  });

  it('picks the format from the content type, else from the extension of a generic upload', () => {
    expect(detectFormat('text/markdown; charset=utf-8', 'x.txt')).toBe('markdown');
    expect(detectFormat('application/octet-stream', 'notes.MD')).toBe('markdown');
    expect(detectFormat(undefined, 'index.htm')).toBe('html');
    expect(detectFormat('application/xhtml+xml')).toBe('html');
    expect(() => detectFormat('image/png', 'photo.png')).toThrow(UnsupportedContentError);
    expect(() => detectFormat(undefined, 'archive.zip')).toThrow(/unsupported file 'archive.zip'/);
  });

  it('PDF: by content type, or by extension of a generic upload, its text page by page (see pdf.test.ts)', async () => {
    const text = expectedPdfText(REPORT_PAGES);
    expect(await extractText(reportPdf(), { contentType: 'application/pdf' })).toEqual({ format: 'pdf', text });
    expect(await extractText(reportPdf(), { contentType: 'application/octet-stream', fileName: 'docs/Report.PDF' })).toEqual({ format: 'pdf', text });
    const meter: WorkMeter = { steps: 0 };
    await extractText(reportPdf(), { fileName: 'report.pdf', meter });
    expect(meter.steps).toBe(text.length);
  });

  it('PDF: an encrypted or broken file is an UnsupportedContentError naming the file and the reason', async () => {
    const broken = extractText(utf8('%PDF-1.7\nquarterly figures'), { fileName: 'docs/q3.pdf' });
    await expect(broken).rejects.toThrow(UnsupportedContentError);
    await expect(broken).rejects.toThrow(/^unreadable PDF 'docs\/q3.pdf': the PDF is broken: Invalid PDF structure/);
    await expect(broken).rejects.not.toThrow(/quarterly/);
    await expect(extractText(utf8('%PDF-1.7'), { contentType: 'application/pdf' })).rejects.toThrow(/^unreadable PDF: the PDF is broken/);
  });
});

describe('htmlToText', () => {
  it('drops script, style and comments, even when they hold tags or never close', () => {
    expect(htmlToText('a<script type="x">if (a</b) "</scrip" </SCRIPT >b<style>p{}</style>c<!-- <p>x</p> -->d')).toBe('a b cd');
    expect(htmlToText('kept<script>never closed <p>lost')).toBe('kept');
    expect(htmlToText('kept<!-- never closed')).toBe('kept');
  });

  it('decodes named, decimal and hex entities; leaves unknown ones and bare ampersands as written', () => {
    expect(htmlToText('&lt;a&gt; &amp;&amp; &#65;&#x42;&#X43; &unknown; AT&T &#0; &#xD800; &#99999999999;')).toBe('<a> && ABC &unknown; AT&T \ufffd \ufffd \ufffd');
    expect(htmlToText('a&nbsp;&nbsp;b')).toBe('a  b');
  });

  it('treats a < that opens no tag as text, and drops a tag cut off by the end', () => {
    expect(htmlToText('1 < 2 and 3<4 <')).toBe('1 < 2 and 3<4 <');
    expect(htmlToText('text<a href="x')).toBe('text');
  });

  it('CDATA is text; doctypes and processing instructions are not', () => {
    expect(htmlToText('<?xml version="1.0"?><!DOCTYPE html><p><![CDATA[x < y]]></p>')).toBe('x < y');
  });

  it('writes block breaks only between text, so nesting never stacks blank lines', () => {
    expect(htmlToText('<div><div><p>a</p></div></div><div><p>b</p></div>')).toBe('a\n\nb');
    expect(htmlToText('a<br>b<br/>c')).toBe('a\nb\nc');
    expect(htmlToText('<span>in</span><b>line</b> <i>words</i>')).toBe('inline words');
  });
});

describe('extraction work on adversarial HTML is linear', () => {
  const cases: Record<string, (n: number) => string> = {
    'deeply nested elements': (n) => '<div><span>'.repeat(n / 11) + 'deep' + '</span></div>'.repeat(n / 13),
    'unclosed tags': (n) => '<a '.repeat(n / 3),
    'bare ampersands and entity prefixes': (n) => '&amp&#x&'.repeat(n / 8),
    'many unclosed scripts': (n) => '<script></scrip'.repeat(n / 15),
    'many comments openers': (n) => '<!-<!--x-->'.repeat(n / 11),
    'quotes in a tag that never ends': (n) => '<p a="'.repeat(n / 6),
  };
  for (const [name, make] of Object.entries(cases)) {
    it(`${name} (1 MB)`, async () => {
      const steps = async (size: number): Promise<number> => {
        const meter: WorkMeter = { steps: 0 };
        await extractText(utf8(make(size)), { contentType: 'text/html', meter });
        return meter.steps;
      };
      const half = await steps(1 << 19);
      const full = await steps(1 << 20);
      expect(full).toBeLessThanOrEqual(4 * (1 << 20));
      expect(full / half).toBeLessThan(2.2);
    });
  }

  it('keeps the text of a deeply nested document', () => {
    const n = 100000;
    expect(htmlToText('<div>'.repeat(n) + 'deep' + '</div>'.repeat(n))).toBe('deep');
  });
});
