import type { ChatMessage, ChatRequest } from '../providers/types';
import { invalidRequest } from './errors';

/** A validated chat-completions request plus the options that only the API layer needs. */
export interface ParsedChat {
  readonly request: ChatRequest;
  /** The client asked for `stream_options.include_usage` (the router sends usage either way). */
  readonly includeUsage: boolean;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

/**
 * Fields that change what a completion means; silently dropping them would return an answer to a
 * different question, so they are refused with a clear message instead.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  tools: 'tool calling is not supported by the router yet',
  tool_choice: 'tool calling is not supported by the router yet',
  functions: 'function calling is not supported by the router',
  function_call: 'function calling is not supported by the router',
  audio: 'audio output is not supported by the router',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberIn(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalidRequest(`'${key}' must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`, key);
  }
  return v;
}

function positiveInt(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw invalidRequest(`'${key}' must be a whole number >= 1 (got ${JSON.stringify(v)})`, key);
  }
  return v;
}

function message(raw: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (!isObject(raw)) throw invalidRequest(`'${param}' must be an object with 'role' and 'content'`, param);
  const role = raw.role;
  if (role === 'tool' || role === 'function') throw invalidRequest(`'${param}.role' '${role}' is not supported: the router does not support tool calling yet`, `${param}.role`);
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalidRequest(`'${param}.role' must be one of system, developer, user, assistant (got ${JSON.stringify(role)})`, `${param}.role`);
  }
  const content = raw.content;
  if (typeof content !== 'string' && !(content === null && role === 'assistant')) {
    if (!Array.isArray(content)) throw invalidRequest(`'${param}.content' must be a string or an array of content parts`, `${param}.content`);
    content.forEach((part, j) => {
      if (!isObject(part) || typeof part.type !== 'string') throw invalidRequest(`'${param}.content[${j}]' must be an object with a 'type'`, `${param}.content[${j}]`);
      if (part.type === 'text' && typeof part.text !== 'string') throw invalidRequest(`'${param}.content[${j}].text' must be a string`, `${param}.content[${j}].text`);
    });
  }
  if (raw.name !== undefined && typeof raw.name !== 'string') throw invalidRequest(`'${param}.name' must be a string`, `${param}.name`);
  return { role: role as ChatMessage['role'], content: content as ChatMessage['content'], ...(typeof raw.name === 'string' ? { name: raw.name } : {}) };
}

function stopSequences(v: unknown): string | readonly string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string')) return v as string[];
  throw invalidRequest(`'stop' must be a string or an array of up to 4 strings (got ${JSON.stringify(v)})`, 'stop');
}

/** Parses the JSON body of `POST /v1/chat/completions`; throws a 400 `RouterError` naming the field. */
export function parseChatBody(text: string): ParsedChat {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`request body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json');
  }
  if (!isObject(body)) throw invalidRequest('request body must be a JSON object', null);
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    if (body[key] !== undefined && body[key] !== null) throw invalidRequest(`'${key}': ${why}`, key, 'unsupported_parameter');
  }
  if (typeof body.model !== 'string' || body.model.length === 0) throw invalidRequest("'model' is required: the name of a route, see GET /v1/models", 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalidRequest("'messages' must be a non-empty array", 'messages');
  const messages = body.messages.map(message);
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) throw invalidRequest(`'n' must be 1: the router returns one choice (got ${JSON.stringify(n)})`, 'n', 'unsupported_parameter');
  const format = body.response_format;
  if (format !== undefined && format !== null && !(isObject(format) && format.type === 'text')) {
    throw invalidRequest("'response_format' other than {\"type\":\"text\"} is not supported by the router", 'response_format', 'unsupported_parameter');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalidRequest("'stream' must be a boolean", 'stream');
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) throw invalidRequest("'stream_options' must be an object", 'stream_options');
  if (body.user !== undefined && body.user !== null && typeof body.user !== 'string') throw invalidRequest("'user' must be a string", 'user');

  const maxTokens = positiveInt(body, 'max_completion_tokens') ?? positiveInt(body, 'max_tokens');
  const temperature = numberIn(body, 'temperature', 0, 2);
  const topP = numberIn(body, 'top_p', 0, 1);
  const stop = stopSequences(body.stop);
  const request: ChatRequest = {
    model: body.model,
    messages,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { top_p: topP } : {}),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    ...(stop !== undefined ? { stop } : {}),
    ...(body.stream === true ? { stream: true } : {}),
    ...(typeof body.user === 'string' ? { user: body.user } : {}),
  };
  return { request, includeUsage: isObject(streamOptions) && streamOptions.include_usage === true };
}
