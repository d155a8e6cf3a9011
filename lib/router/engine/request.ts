import type { ChatMessage, ChatRequest, ContentPart } from '../providers/types';
import { invalidRequest } from './errors';
import { checkDepth, DEFAULT_REQUEST_LIMITS, MAX_IMAGE_URL_CHARS, type RequestLimits } from './limits';
import { clip, quote } from './quote';

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
const UNSUPPORTED_ENTRIES = Object.entries(UNSUPPORTED);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberIn(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalidRequest(`'${key}' must be a number from ${min} to ${max} (got ${quote(v)})`, key);
  }
  return v;
}

function positiveInt(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw invalidRequest(`'${key}' must be a whole number >= 1 (got ${quote(v)})`, key);
  }
  return v;
}

/** A string field within its length limit, or a 400 naming it. */
function limited(v: string, param: string, max: number, what = 'characters'): string {
  if (v.length > max) throw invalidRequest(`'${param}' is ${v.length} ${what} long; the limit is ${max}`, param, 'too_long');
  return v;
}

/**
 * One content part, copied field by field: only what the adapters read goes on, so an extra field
 * (however large or nested) never reaches a provider. Types: `text`, `image_url`.
 */
function contentPart(part: unknown, param: string, limits: RequestLimits): ContentPart {
  if (!isObject(part) || typeof part.type !== 'string') throw invalidRequest(`'${param}' must be an object with a 'type'`, param);
  if (part.type === 'text') {
    if (typeof part.text !== 'string') throw invalidRequest(`'${param}.text' must be a string`, `${param}.text`);
    return { type: 'text', text: limited(part.text, `${param}.text`, limits.maxTextChars) };
  }
  if (part.type === 'image_url') {
    const image = part.image_url;
    if (!isObject(image) || typeof image.url !== 'string') throw invalidRequest(`'${param}.image_url' must be an object with a 'url' string`, `${param}.image_url`);
    const detail = image.detail;
    if (detail !== undefined && detail !== 'auto' && detail !== 'low' && detail !== 'high') throw invalidRequest(`'${param}.image_url.detail' must be auto, low or high (got ${quote(detail)})`, `${param}.image_url.detail`);
    return { type: 'image_url', image_url: { url: limited(image.url, `${param}.image_url.url`, MAX_IMAGE_URL_CHARS), ...(detail !== undefined ? { detail } : {}) } };
  }
  throw invalidRequest(`'${param}.type' must be text or image_url (got ${quote(part.type)})`, `${param}.type`);
}

function message(raw: unknown, i: number, limits: RequestLimits): ChatMessage {
  // The parameter's name is built only for an error (this runs for every message of every request).
  const param = () => `messages[${i}]`;
  if (!isObject(raw)) throw invalidRequest(`'${param()}' must be an object with 'role' and 'content'`, param());
  const role = raw.role;
  if (role === 'tool' || role === 'function') throw invalidRequest(`'${param()}.role' '${role}' is not supported: the router does not support tool calling yet`, `${param()}.role`);
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalidRequest(`'${param()}.role' must be one of system, developer, user, assistant (got ${quote(role)})`, `${param()}.role`);
  }
  const raw_ = raw.content;
  let content: ChatMessage['content'];
  if (typeof raw_ === 'string') content = raw_.length > limits.maxTextChars ? limited(raw_, `${param()}.content`, limits.maxTextChars) : raw_;
  else if (raw_ === null && role === 'assistant') content = null;
  else {
    if (!Array.isArray(raw_)) throw invalidRequest(`'${param()}.content' must be a string or an array of content parts`, `${param()}.content`);
    if (raw_.length > limits.maxContentParts) throw invalidRequest(`'${param()}.content' has ${raw_.length} parts; the limit is ${limits.maxContentParts}`, `${param()}.content`, 'too_many');
    content = raw_.map((part, j) => contentPart(part, `${param()}.content[${j}]`, limits));
  }
  const name = raw.name;
  if (name !== undefined && typeof name !== 'string') throw invalidRequest(`'${param()}.name' must be a string`, `${param()}.name`);
  if (typeof name === 'string') {
    limited(name, `${param()}.name`, limits.maxFieldChars);
    return { role: role as ChatMessage['role'], content, name };
  }
  return { role: role as ChatMessage['role'], content };
}

function stopSequences(v: unknown, limits: RequestLimits): string | readonly string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return limited(v, 'stop', limits.maxFieldChars);
  if (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string')) {
    v.forEach((s: string, i) => limited(s, `stop[${i}]`, limits.maxFieldChars));
    return v as string[];
  }
  throw invalidRequest(`'stop' must be a string or an array of up to 4 strings (got ${quote(v)})`, 'stop');
}

/**
 * Parses the JSON body of `POST /v1/chat/completions`; throws a 400 `RouterError` naming the field.
 * Every limit of `limits` is checked here, before any routing.
 */
export function parseChatBody(text: string, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): ParsedChat {
  checkDepth(text, limits.maxDepth);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalidRequest(`request body is not valid JSON: ${clip((err as Error).message)}`, null, 'invalid_json');
  }
  if (!isObject(body)) throw invalidRequest('request body must be a JSON object', null);
  for (const [key, why] of UNSUPPORTED_ENTRIES) {
    if (body[key] !== undefined && body[key] !== null) throw invalidRequest(`'${key}': ${why}`, key, 'unsupported_parameter');
  }
  if (typeof body.model !== 'string' || body.model.length === 0) throw invalidRequest("'model' is required: the name of a route, see GET /v1/models", 'model');
  limited(body.model, 'model', limits.maxFieldChars);
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalidRequest("'messages' must be a non-empty array", 'messages');
  if (body.messages.length > limits.maxMessages) throw invalidRequest(`'messages' has ${body.messages.length} entries; the limit is ${limits.maxMessages}`, 'messages', 'too_many');
  const messages = body.messages.map((m, i) => message(m, i, limits));
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) throw invalidRequest(`'n' must be 1: the router returns one choice (got ${quote(n)})`, 'n', 'unsupported_parameter');
  const format = body.response_format;
  if (format !== undefined && format !== null && !(isObject(format) && format.type === 'text')) {
    throw invalidRequest("'response_format' other than {\"type\":\"text\"} is not supported by the router", 'response_format', 'unsupported_parameter');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalidRequest("'stream' must be a boolean", 'stream');
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) throw invalidRequest("'stream_options' must be an object", 'stream_options');
  if (body.user !== undefined && body.user !== null && typeof body.user !== 'string') throw invalidRequest("'user' must be a string", 'user');
  if (typeof body.user === 'string') limited(body.user, 'user', limits.maxFieldChars);

  const maxTokens = positiveInt(body, 'max_completion_tokens') ?? positiveInt(body, 'max_tokens');
  const temperature = numberIn(body, 'temperature', 0, 2);
  const topP = numberIn(body, 'top_p', 0, 1);
  const stop = stopSequences(body.stop, limits);
  // Only the fields that are set, in this order (assigned rather than spread: this runs per request).
  const request: { -readonly [K in keyof ChatRequest]: ChatRequest[K] } = { model: body.model, messages };
  if (temperature !== undefined) request.temperature = temperature;
  if (topP !== undefined) request.top_p = topP;
  if (maxTokens !== undefined) request.max_tokens = maxTokens;
  if (stop !== undefined) request.stop = stop;
  if (body.stream === true) request.stream = true;
  if (typeof body.user === 'string') request.user = body.user;
  return { request, includeUsage: isObject(streamOptions) && streamOptions.include_usage === true };
}
