// A stand-in model server for the router benchmark: answers every POST /v1/chat/completions with
// the same small OpenAI chat completion, as fast as Node can; a request with "stream":true gets the
// same answer as an OpenAI SSE stream (a role chunk, 8 deltas, a finish chunk, the usage chunk,
// [DONE]), each chunk its own write. Run as a forked child: it sends { url } to its parent once
// listening.
'use strict';

const http = require('node:http');

const BODY = JSON.stringify({
  id: 'cmpl-bench',
  object: 'chat.completion',
  created: 1763208000,
  model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi! How can I help you today?' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
});
const HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) };

const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id: 'cmpl-bench', object: 'chat.completion.chunk', created: 1763208000, model: 'bench-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const WORDS = ['Hi!', ' How', ' can', ' I', ' help', ' you', ' today', '?'];
const STREAM = [
  chunk({ role: 'assistant', content: '' }),
  ...WORDS.map((w) => chunk({ content: w })),
  chunk({}, 'stop'),
  `data: ${JSON.stringify({ id: 'cmpl-bench', object: 'chat.completion.chunk', created: 1763208000, model: 'bench-model', choices: [], usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } })}\n\n`,
  'data: [DONE]\n\n',
];
const STREAM_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  // Read the request body before answering, as a real server does.
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (body.includes('"stream":true')) {
      res.writeHead(200, STREAM_HEADERS);
      for (const c of STREAM) res.write(c);
      res.end();
      return;
    }
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (process.send) process.send({ url });
  else console.log(url);
});
