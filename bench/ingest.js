#!/usr/bin/env node
// Ingestion benchmark: what the cloud-neutral ingestion runtime (lib/ingest, compiled to dist/lib)
// does with a corpus, on this machine.
//
//   node bench/ingest.js [--quick] [--corpus-mb 256] [--heap-mb 64] [--doc-kb 256] [--change-percent 1]
//
// 1. Writes a corpus of generated plain-text, Markdown and HTML documents (a third each, prose with
//    headings, lists and entities) to a temporary directory: --corpus-mb in documents of about
//    --doc-kb each.
// 2. Starts a local embedding server in this process speaking Vertex AI's :predict (the request and
//    answer of lib/ingest/embed/vertex.ts), answering at once with 768-value vectors (the size of
//    text-embedding-005) and a token count per input, so the figures are the runtime's, not a model's.
// 3. Runs the ingestion in a child process given a V8 heap of --heap-mb, well below the corpus size:
//    the real runtime (list, read, extract, chunk at 300 tokens with 20% overlap, embed in batches
//    over HTTP, upsert, manifest) with the directory as the source and an in-memory index and
//    manifest. The index keeps each chunk's id and document, not its vector: holding every vector
//    would measure the fake index, not the runtime (a real index lives in the cloud).
//    (a) the first run over every document: documents/s and MB/s;
//    (b) after rewriting --change-percent of the documents, a second run: what it embeds (documents,
//        chunks, embedding calls) and its time;
//    (c) the child's peak memory over both runs: RSS (the kernel's maximum) and V8 heap used
//        (sampled), against the heap limit and the corpus size.
// The default heap (64 MB) is a quarter of the default corpus: the run holds one batch of documents'
// texts, one slice of vectors and a manifest of counts, never the corpus (lib/ingest/run.ts).
// --quick: a smoke run (16 MB corpus in 64 kB documents, 32 MB heap). Run `npm run -s build` first
// (`npm run bench` does). All processes share this machine's cores, so absolute numbers depend on it.
'use strict';

const { fork } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { extname, join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist', 'lib', 'ingest');
const DIMENSIONS = 768;
const CHUNKING = { strategy: 'fixed', maxTokens: 300, overlapPercent: 20 };
/** text-embedding-005's input limit. */
const MODEL_MAX_TOKENS = 2048;
const MB = 1024 * 1024;

function options(argv) {
  const get = (flag, fallback) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
  };
  const quick = argv.includes('--quick');
  const o = {
    quick,
    corpusMb: get('--corpus-mb', quick ? 16 : 256),
    heapMb: get('--heap-mb', quick ? 32 : 64),
    docKb: get('--doc-kb', quick ? 64 : 256),
    changePercent: get('--change-percent', 1),
  };
  for (const [k, v] of Object.entries(o)) if (k !== 'quick' && !(v > 0)) throw new Error(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a number > 0 (got ${v})`);
  return o;
}

// ---------------------------------------------------------------------------------------------
// The corpus: deterministic prose (a seeded generator), so two runs of the bench read the same bytes.

function generator(seed) {
  let a = seed >>> 0;
  return () => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the index answers from documents it was given so a stale source means stale answers ingestion reads ' +
  'each object skips what it has embedded and embeds what changed chunk size is a trade between precision ' +
  'and context tokens cost money at query time retrieval quality depends on overlap between chunks a ' +
  'model refuses inputs above its limit the manifest records every document and its chunk ids a failed ' +
  'run leaves it consistent vector search returns the nearest neighbours of a query embedding cosine ' +
  'distance compares directions operations teams watch the age of the last successful run'
).split(' ');

function sentence(r) {
  const n = 8 + Math.floor(r() * 14);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]);
  if (r() < 0.15) words.splice(1 + Math.floor(r() * (n - 1)), 0, String(Math.floor(r() * 10000)));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(' ')}.`;
}
const paragraph = (r) => Array.from({ length: 3 + Math.floor(r() * 5) }, () => sentence(r)).join(' ');
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One document of about `bytes` bytes; its format (and extension) by `i`: text, Markdown, HTML. */
function makeDocument(i, bytes, edit = 0) {
  const r = generator(i * 7919 + 17);
  const kind = ['txt', 'md', 'html'][i % 3];
  const parts = [];
  let size = 0;
  let section = 0;
  const push = (s) => {
    parts.push(s);
    size += s.length + 1;
  };
  const title = `Document ${i}${edit ? `, revision ${edit}` : ''}`;
  if (kind === 'html') push(`<!DOCTYPE html><html><head><title>${title}</title><style>p { margin: 0 }</style></head><body><h1>${title}</h1>`);
  else push(kind === 'md' ? `# ${title}\n` : `${title}\n`);
  if (edit) push(kind === 'html' ? `<p>${escapeHtml(sentence(generator(edit)))}</p>` : `${sentence(generator(edit))}\n`);
  while (size < bytes) {
    const p = paragraph(r);
    if (kind === 'txt') push(`${p}\n`);
    else if (kind === 'md') push(r() < 0.2 ? `## Section ${++section}\n\n- ${sentence(r)}\n- ${sentence(r)}\n\n${p}\n` : `${p}\n`);
    else push(r() < 0.2 ? `<h2>Section ${++section}</h2><ul><li>${escapeHtml(sentence(r))}</li><li>R&amp;D &mdash; ${escapeHtml(sentence(r))}</li></ul><p>${escapeHtml(p)}</p>` : `<p>${escapeHtml(p)}</p>`);
  }
  if (kind === 'html') push('</body></html>');
  return { name: `doc-${String(i).padStart(6, '0')}.${kind}`, content: parts.join('\n') };
}

function writeCorpus(dir, corpusBytes, docBytes) {
  let bytes = 0;
  let count = 0;
  while (bytes < corpusBytes) {
    const { name, content } = makeDocument(count, Math.min(docBytes, corpusBytes - bytes));
    writeFileSync(join(dir, name), content);
    bytes += Buffer.byteLength(content);
    count++;
  }
  return { count, bytes };
}

/** Rewrites `share` of the documents (evenly spread): a new first paragraph, so each one's content hash changes. */
function editCorpus(dir, docBytes, share) {
  const names = readdirSync(dir).sort();
  const every = Math.max(1, Math.round(1 / share));
  const edited = [];
  for (let i = 0; i < names.length; i += every) {
    const { name, content } = makeDocument(i, docBytes, 1);
    if (name !== names[i]) throw new Error(`corpus order changed: ${name} is not ${names[i]}`);
    writeFileSync(join(dir, name), content);
    edited.push(name);
  }
  return edited;
}

// ---------------------------------------------------------------------------------------------
// The embedding server: Vertex AI :predict (cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api):
//   POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:predict
//   {"instances":[{"content":"…","task_type":"RETRIEVAL_DOCUMENT"}]}
//   → {"predictions":[{"embeddings":{"values":[…],"statistics":{"token_count":n,"truncated":false}}}]}
// Errors as Google APIs send them: {"error":{"code":404,"message":"…","status":"NOT_FOUND"}}.

function startEmbeddingServer() {
  // One vector, serialized once: answering at once means the server's own work stays out of the figures.
  const r = generator(42);
  const vector = `[${Array.from({ length: DIMENSIONS }, () => (r() * 0.2 - 0.1).toFixed(8)).join(',')}]`;
  const stats = { requests: 0, texts: 0 };
  const path = /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/[^/:]+:predict$/;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !path.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: `no such method: ${req.method} ${req.url}`, status: 'NOT_FOUND' } }));
        return;
      }
      const { instances } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      stats.requests++;
      stats.texts += instances.length;
      // A stand-in tokenizer: about 4 characters a token, as the model counts English.
      const predictions = instances.map((i) => `{"embeddings":{"values":${vector},"statistics":{"token_count":${Math.ceil(i.content.length / 4)},"truncated":false}}}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"predictions":[${predictions.join(',')}]}`);
    });
  });
  return new Promise((resolveServer) =>
    server.listen(0, '127.0.0.1', () => resolveServer({ url: `http://127.0.0.1:${server.address().port}`, stats, close: () => new Promise((done) => server.close(done)) })),
  );
}

// ---------------------------------------------------------------------------------------------
// The child: the runtime as compiled, with the directory as its source.

async function child(dir, embedUrl) {
  const { runIngestion } = require(join(DIST, 'run.js'));
  const { decodeManifest, encodeManifest } = require(join(DIST, 'manifest.js'));
  const { VertexEmbedder } = require(join(DIST, 'embed', 'vertex.js'));
  const { embedAll } = require(join(DIST, 'embed', 'embed-all.js'));
  const { documentChunker } = require(join(DIST, 'handlers', 'deployment.js'));

  let peakHeap = 0;
  const sample = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  setInterval(sample, 5).unref();

  // The index and the manifest's stored copy live in the parent, as a real index and bucket live in
  // the cloud: this heap holds what the runtime itself holds. Calls go over the IPC channel.
  const waiting = new Map();
  let nextCall = 0;
  process.on('message', (m) => {
    if (m && m.reply !== undefined) {
      waiting.get(m.reply)(m);
      waiting.delete(m.reply);
    }
  });
  const call = (op, args) =>
    new Promise((done, fail) => {
      const id = nextCall++;
      waiting.set(id, (m) => (m.error ? fail(Object.assign(new Error(m.error), { name: m.errorName })) : done(m.result)));
      process.send({ call: id, op, args });
    });

  let embedCalls = 0;
  let documentsRead = 0;
  let bytesRead = 0;
  const embedder = new VertexEmbedder({ project: 'bench', region: 'us-central1', model: 'text-embedding-005', baseUrl: embedUrl, accessToken: async () => 'bench-token' });
  const counted = { where: embedder.where, maxBatchTexts: embedder.maxBatchTexts, maxBatchTokens: embedder.maxBatchTokens, embedBatch: (t) => (embedCalls++, embedder.embedBatch(t)) };
  const types = { '.txt': 'text/plain', '.md': 'text/markdown', '.html': 'text/html' };
  const seams = {
    // The directory's listing with a change token per file, as an object store lists (GCS md5, Blob ETag).
    listDocuments: async () => readdirSync(dir).sort().map((id) => {
      const s = statSync(join(dir, id));
      return { id, fingerprint: `stat:${s.size}-${s.mtimeMs}` };
    }),
    readDocument: async (id) => {
      const s = statSync(join(dir, id));
      // Progress, so that a run that dies (out of memory) says how far it got.
      process.send({ progress: { documents: ++documentsRead, bytes: (bytesRead += s.size) } });
      return { bytes: readFileSync(join(dir, id)), fingerprint: `stat:${s.size}-${s.mtimeMs}`, contentType: types[extname(id)] };
    },
    chunk: documentChunker(CHUNKING, MODEL_MAX_TOKENS),
    embed: (texts, label) => embedAll(counted, texts, { label }),
    upsertChunks: async (chunks) => {
      sample();
      for (const c of chunks) if (c.vector.length !== DIMENSIONS) throw new Error(`vector of ${c.vector.length} values for ${c.id}`);
      await call('upsert', chunks.map((c) => [c.id, c.documentId]));
    },
    deleteChunks: (ids) => call('delete', ids),
    // A compare-and-set store of the encoded manifest, as the GCS and Blob stores are.
    manifest: {
      read: async () => {
        const stored = await call('readManifest');
        return stored && { manifest: decodeManifest(stored.json), version: stored.version };
      },
      write: (manifest, expectedVersion) => call('writeManifest', { json: encodeManifest(manifest), expectedVersion }),
    },
    costPerMillionTokensUsd: 0.025,
  };

  const run = async () => {
    const calls = embedCalls;
    const start = process.hrtime.bigint();
    const record = await runIngestion(seams);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { record, seconds, embedCalls: embedCalls - calls };
  };
  await call('done', { phase: 'first', ...(await run()) }); // the parent rewrites the changed share before it answers
  await call('done', { phase: 'incremental', ...(await run()) });
  sample();
  await call('done', { phase: 'memory', maxRssBytes: process.resourceUsage().maxRSS * 1024, peakHeapBytes: peakHeap, heapLimitBytes: require('node:v8').getHeapStatistics().heap_size_limit });
  process.exit(0);
}

/** The parent's side: the index (chunk id -> document), the stored manifest, and the phases' reports. */
function serveChild(c, onDone, stats) {
  const index = new Map();
  let stored;
  let versions = 0;
  const ops = {
    upsert: (pairs) => {
      for (const [id, doc] of pairs) index.set(id, doc);
      stats.upserted += pairs.length;
    },
    delete: (ids) => {
      for (const id of ids) if (index.delete(id)) stats.deleted++;
    },
    readManifest: () => stored,
    writeManifest: ({ json, expectedVersion }) => {
      if (stored?.version !== expectedVersion) throw Object.assign(new Error(`manifest is at version ${stored?.version ?? 'none'}, expected ${expectedVersion ?? 'none'}`), { name: 'ManifestConflictError' });
      stored = { json, version: String(++versions) };
      stats.manifestWrites++;
      stats.manifestBytes = Math.max(stats.manifestBytes, json.length);
      return stored.version;
    },
    done: (report) => onDone(report, { indexSize: index.size, ...stats }),
  };
  c.on('message', (m) => {
    if (m.progress) {
      stats.progress = m.progress;
      return;
    }
    try {
      c.send({ reply: m.call, result: ops[m.op](m.args) });
    } catch (error) {
      c.send({ reply: m.call, error: error.message, errorName: error.name });
    }
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const o = options(process.argv.slice(2));
  if (!existsSync(join(DIST, 'run.js'))) throw new Error('dist/lib is missing: run `npm run -s build` first (npm run bench does)');
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-ingest-bench-'));
  const server = await startEmbeddingServer();
  try {
    const corpus = writeCorpus(dir, o.corpusMb * MB, o.docKb * 1024);
    const results = {};
    let edited = [];
    let lastRequests = 0;
    let last = { upserted: 0, deleted: 0, manifestWrites: 0 };
    const childStats = { upserted: 0, deleted: 0, manifestWrites: 0, manifestBytes: 0, progress: { documents: 0, bytes: 0 } };
    await new Promise((done, fail) => {
      const c = fork(__filename, ['--child', dir, server.url], { execArgv: [`--max-old-space-size=${o.heapMb}`, ...(process.env.INGEST_BENCH_CHILD_ARGS ? process.env.INGEST_BENCH_CHILD_ARGS.split(' ') : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      serveChild(c, (report, index) => {
        // What the server and the index saw during the phase, beside what the run says it did.
        results[report.phase] = { ...report, serverCalls: server.stats.requests - lastRequests, upserted: index.upserted - last.upserted, deleted: index.deleted - last.deleted, manifestWrites: index.manifestWrites - last.manifestWrites, manifestBytes: index.manifestBytes, indexSize: index.indexSize };
        lastRequests = server.stats.requests;
        last = index;
        if (report.phase === 'first') edited = editCorpus(dir, o.docKb * 1024, o.changePercent / 100);
      }, childStats);
      c.on('error', fail);
      c.on('exit', (code, signal) => {
        if (code === 0) return done();
        const { progress, manifestBytes } = childStats;
        const phase = results.first ? 'the incremental run' : 'the first run';
        fail(new Error(`the ingestion child (heap limit ${o.heapMb} MB) exited with ${signal ?? `code ${code}`} in ${phase}, after reading ${progress.documents} documents in all (${(progress.bytes / MB).toFixed(1)} MB of ${(corpus.bytes / MB).toFixed(1)} MB); the manifest was last written at ${(manifestBytes / MB).toFixed(1)} MB`));
      });
    });

    const { first, incremental, memory } = results;
    // The runs' own accounts must agree with what the server and the index saw.
    const problems = [];
    if (first.record.documentsChanged !== corpus.count || first.indexSize !== first.record.chunksEmbedded) problems.push(`first run: ${first.record.documentsChanged} of ${corpus.count} documents, index ${first.indexSize} for ${first.record.chunksEmbedded} chunks`);
    if (incremental.record.documentsChanged !== edited.length) problems.push(`incremental run embedded ${incremental.record.documentsChanged} documents for ${edited.length} changed`);
    if (first.serverCalls !== first.embedCalls || incremental.serverCalls !== incremental.embedCalls) problems.push(`embedding calls: the server saw ${first.serverCalls}/${incremental.serverCalls}, the runs made ${first.embedCalls}/${incremental.embedCalls}`);
    if (first.upserted !== first.record.chunksEmbedded || incremental.upserted !== incremental.record.chunksEmbedded) problems.push('chunks upserted differ from chunks embedded');
    if (incremental.indexSize !== first.indexSize - incremental.deleted + incremental.record.chunksEmbedded) problems.push(`index ${incremental.indexSize} after the incremental run`);

    const mb = (b) => (b / MB).toFixed(1);
    const changedBytes = edited.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    console.log(
      `ingestion benchmark (node ${process.version}; corpus ${mb(corpus.bytes)} MB in ${corpus.count} documents of ~${o.docKb} kB, txt/md/html; ` +
        `chunks of ${CHUNKING.maxTokens} tokens, ${CHUNKING.overlapPercent}% overlap; ${DIMENSIONS}-value vectors from a local Vertex :predict server; child heap limit ${o.heapMb} MB)`,
    );
    const rows = [
      ['run', 'documents', 'MB', 'seconds', 'docs/s', 'MB/s', 'chunks embedded', 'chunks deleted', 'embedding calls', 'tokens'],
      ['first run', `${first.record.documentsChanged}`, mb(corpus.bytes), first.seconds.toFixed(2), (corpus.count / first.seconds).toFixed(1), (corpus.bytes / MB / first.seconds).toFixed(2), `${first.record.chunksEmbedded}`, `${first.deleted}`, `${first.embedCalls}`, `${first.record.embeddingTokens}`],
      [`${o.changePercent}% changed`, `${incremental.record.documentsChanged} of ${incremental.record.documentsSeen}`, mb(changedBytes), incremental.seconds.toFixed(2), (incremental.record.documentsChanged / incremental.seconds).toFixed(1), (changedBytes / MB / incremental.seconds).toFixed(2), `${incremental.record.chunksEmbedded}`, `${incremental.deleted}`, `${incremental.embedCalls}`, `${incremental.record.embeddingTokens}`],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    console.log(
      `peak memory of the ingestion process over both runs: RSS ${mb(memory.maxRssBytes)} MB, V8 heap used ${mb(memory.peakHeapBytes)} MB ` +
        `(heap limit ${mb(memory.heapLimitBytes)} MB; corpus ${mb(corpus.bytes)} MB, ${(corpus.bytes / memory.heapLimitBytes).toFixed(1)}x the heap limit)`,
    );
    console.log(`manifest: ${first.manifestWrites} + ${incremental.manifestWrites} compare-and-set writes (first run + incremental), ${mb(incremental.manifestBytes)} MB encoded at the end; index: ${incremental.indexSize} chunks`);
    if (problems.length > 0) {
      console.error(`bench/ingest: the runs' accounts disagree:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((err) => {
    console.error(`bench/ingest (child): ${err.stack ?? err.message}`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(`bench/ingest: ${err.message}`);
    process.exit(1);
  });
}
