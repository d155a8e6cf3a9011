/**
 * PDF text through pdf.js (`pdfjs-dist`, Mozilla's reader, the one Firefox shows PDFs with).
 *
 * Loading: pdfjs-dist ships ES modules only, and this file is compiled to CommonJS, so it is loaded
 * with `import()`, which tsc keeps as a real dynamic import under `module: nodenext` and esbuild
 * bundles into the ingestion functions. Node needs no worker thread: pdf.js's Node guidance
 * (examples/node/getinfo.mjs of mozilla/pdf.js) uses the legacy build, whose "fake worker" parses in
 * the calling thread; importing `pdf.worker.mjs` up front hands it the parser
 * (`globalThis.pdfjsWorker`) instead of a second `import()` of a path relative to pdf.mjs, which a
 * bundle would not have.
 */
import type { TextItem } from 'pdfjs-dist/types/src/display/api';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

/** The document's text, or why it cannot be read (never any of its text). */
export type PdfText = { readonly ok: true; readonly text: string; readonly pages: number } | { readonly ok: false; readonly reason: string };

let pdfjs: Promise<Pdfjs> | undefined;

/** pdf.js and its parser, loaded once on the first PDF (a 3 MB parse the other formats never pay). */
function loadPdfjs(): Promise<Pdfjs> {
  provideMatrixStandIn();
  pdfjs ??= Promise.all([
    import('pdfjs-dist/legacy/build/pdf.mjs'),
    // @ts-expect-error pdfjs-dist has no types for its worker module; only its side effect is used.
    import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
  ]).then(([lib]) => lib);
  return pdfjs;
}

/**
 * pdf.js builds a `DOMMatrix` as it loads, for rendering, which text extraction never does, and
 * takes the class from `@napi-rs/canvas`, a native optional dependency that the bundled runtime
 * does not ship; without one it fails to load ("DOMMatrix is not defined"). This stand-in lets it
 * load and refuses any use, so a rendering path reached by surprise fails with a message saying so.
 * Installed only where the global is missing, before pdf.js loads.
 */
function provideMatrixStandIn(): void {
  const g = globalThis as { DOMMatrix?: unknown };
  if (g.DOMMatrix !== undefined) return;
  class NoRenderingMatrix {
    constructor() {
      return new Proxy(this, {
        get(target, property) {
          if (typeof property === 'symbol' || property === 'then') return Reflect.get(target, property);
          throw new Error(`DOMMatrix.${property}: pdf.js rendering is not available in the ingestion runtime, which reads text only`);
        },
      });
    }
  }
  g.DOMMatrix = NoRenderingMatrix;
}

/** pdf.js's verbosity level for errors only: its warnings name fonts and objects, noise in run logs. */
const ERRORS_ONLY = 0;

/**
 * Reads the text of every page in pdf.js's reading order (the content stream's, which is how a PDF
 * orders its text for selection and screen readers): a line break where pdf.js sees the line end,
 * a blank line where the next line starts more than 1.5 line heights below (a paragraph gap), and a
 * blank line between pages. Pages without text (scans) add nothing.
 */
export async function readPdfText(bytes: Uint8Array): Promise<PdfText> {
  const lib = await loadPdfjs();
  // A copy: pdf.js takes ownership of (detaches) the buffer it is given, and refuses a Buffer.
  const task = lib.getDocument({
    data: new Uint8Array(bytes),
    // Text only: no code generation for fonts, no font loading, no system fonts, no WebAssembly
    // image decoders, no XFA forms.
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWasm: false,
    enableXfa: false,
    verbosity: ERRORS_ONLY,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy();
    return { ok: false, reason: refusal(error) };
  }
  try {
    const { info } = await doc.getMetadata();
    const filter = (info as { EncryptFilterName?: string | null }).EncryptFilterName;
    if (filter) {
      // Opens without a password, but its owner encrypted it, and such files usually forbid copying
      // text (permission bit 5): not ingested rather than ingested against its owner's flags.
      return { ok: false, reason: `the PDF is encrypted (security handler '${clip(filter)}'); upload an unencrypted copy` };
    }
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const text = pageText(content.items.filter((i): i is TextItem => 'str' in i));
      if (text !== '') pages.push(text);
      page.cleanup();
    }
    return { ok: true, text: pages.join('\n\n'), pages: doc.numPages };
  } catch (error) {
    return { ok: false, reason: refusal(error) };
  } finally {
    await doc.destroy();
  }
}

/** One page's items joined: line ends from pdf.js, paragraph gaps from the baselines. */
export function pageText(items: readonly Pick<TextItem, 'str' | 'hasEOL' | 'transform' | 'height'>[]): string {
  let out = '';
  let breakPending = false;
  let lastY: number | undefined;
  let lastHeight = 0;
  for (const item of items) {
    if (item.str !== '') {
      const y = item.transform[5];
      if (breakPending && out !== '') out += lastY !== undefined && lastHeight > 0 && lastY - y > 1.5 * lastHeight ? '\n\n' : '\n';
      breakPending = false;
      out += item.str;
      lastY = y;
      if (item.height > 0) lastHeight = item.height;
    }
    if (item.hasEOL) breakPending = true;
  }
  // Trailing spaces before a break are layout, not text; carriage returns become '\n' like every format's.
  return out.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim();
}

/** Why pdf.js could not read a file, from its exception's name and message (its own words, not the file's text). */
function refusal(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  const message = clip(String((error as { message?: unknown } | null)?.message ?? error));
  if (name === 'PasswordException') return 'the PDF is password-protected; upload an unencrypted copy';
  if (name === 'InvalidPDFException') return `the PDF is broken: ${message}`;
  return `the PDF cannot be read: ${typeof name === 'string' ? `${clip(name)}: ` : ''}${message}`;
}

/** At most 120 characters of one line: an error names its cause, it does not quote the file. */
function clip(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
