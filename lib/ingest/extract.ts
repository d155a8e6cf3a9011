import { htmlToText } from './html';
import type { WorkMeter } from './meter';
import { readPdfText } from './pdf';

export type DocumentFormat = 'text' | 'markdown' | 'html' | 'pdf';

export interface ExtractedText {
  readonly format: DocumentFormat;
  /** The document's text, line breaks as '\n'; chunk offsets refer to it. */
  readonly text: string;
}

export interface ExtractOptions {
  /** The object's content type (`Content-Type`), parameters allowed: `text/html; charset=utf-8`. */
  readonly contentType?: string;
  /** The object's name; its extension decides when the content type is missing or generic. */
  readonly fileName?: string;
  readonly meter?: WorkMeter;
}

export class UnsupportedContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedContentError';
  }
}

const BY_TYPE: Readonly<Record<string, DocumentFormat>> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
};
const BY_EXTENSION: Readonly<Record<string, DocumentFormat>> = {
  txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html', xhtml: 'html', pdf: 'pdf',
};
/** Types that say nothing about the content; object stores give them to uploads without one. */
const GENERIC = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

function parseContentType(value: string | undefined): { type: string; charset?: string } {
  const [type, ...params] = (value ?? '').split(';');
  const charset = params.map((p) => p.trim().match(/^charset\s*=\s*"?([^";\s]+)"?$/i)?.[1]).find((c) => c !== undefined);
  return { type: type.trim().toLowerCase(), charset: charset?.toLowerCase() };
}

/** The format of a document from its content type, else its file extension. */
export function detectFormat(contentType?: string, fileName?: string): DocumentFormat {
  const { type } = parseContentType(contentType);
  const byType = BY_TYPE[type];
  if (byType) return byType;
  const ext = fileName?.match(/\.([A-Za-z0-9]+)$/)?.[1]?.toLowerCase();
  const byExt = ext === undefined ? undefined : BY_EXTENSION[ext];
  if (byExt && GENERIC.has(type)) return byExt;
  if (byExt && type.startsWith('text/')) return byExt; // e.g. a .md served as text/plain-ish variants
  const what = GENERIC.has(type) ? `file '${fileName ?? ''}'` : `content type '${type}'`;
  throw new UnsupportedContentError(`unsupported ${what}: the ingestion runtime reads text/plain (.txt), text/markdown (.md), text/html (.html) and application/pdf (.pdf)`);
}

function decode(bytes: Uint8Array, charset: string | undefined): string {
  let text: string;
  try {
    // TextDecoder drops a UTF-8 BOM itself; a BOM left by a double encoding is dropped below.
    text = new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    throw new UnsupportedContentError(`unsupported charset '${charset}'`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** One line-break convention, so offsets and paragraph breaks mean the same in every file. */
function normalizeLines(text: string): string {
  return text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
}

/**
 * Text of a document's bytes: plain text and Markdown as written, HTML as a reader sees it, PDF page
 * by page (see pdf.ts). Encrypted and broken PDFs are refused with the reason, never their text.
 */
export async function extractText(bytes: Uint8Array, options: ExtractOptions = {}): Promise<ExtractedText> {
  const format = detectFormat(options.contentType, options.fileName);
  if (format === 'pdf') {
    const pdf = await readPdfText(bytes);
    if (!pdf.ok) throw new UnsupportedContentError(`unreadable PDF${options.fileName ? ` '${options.fileName}'` : ''}: ${pdf.reason}`);
    if (options.meter) options.meter.steps += pdf.text.length;
    return { format, text: pdf.text };
  }
  const text = normalizeLines(decode(bytes, parseContentType(options.contentType).charset));
  if (options.meter) options.meter.steps += text.length;
  return { format, text: format === 'html' ? htmlToText(text, options.meter) : text };
}
