// A stand-in model server for the router benchmark: answers every POST /v1/chat/completions with
// the same small OpenAI chat completion, as fast as Node can. Run as a forked child: it sends
// { url } to its parent once listening.
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

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  // Drain the request body before answering, as a real server does.
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (process.send) process.send({ url });
  else console.log(url);
});
