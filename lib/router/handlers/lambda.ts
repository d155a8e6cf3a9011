import type { HandleRequest, RequestHeaders, RouterResponse } from './pipeline';

/** The fields of a Lambda function URL (payload format 2.0) event the router reads. */
export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly requestId?: string; readonly http?: { readonly method?: string; readonly path?: string } };
}

/** A buffered function URL response. */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** The writable stream Lambda passes to a streaming handler. */
export interface LambdaResponseStream {
  write(chunk: string): boolean;
  end(): void;
  once?(event: 'drain', listener: () => void): unknown;
}

/** The `awslambda` global of the Node.js runtime, as far as response streaming needs it. */
export interface AwsLambdaGlobal {
  streamifyResponse(handler: (event: FunctionUrlEvent, responseStream: LambdaResponseStream, context: unknown) => Promise<void>): unknown;
  readonly HttpResponseStream: {
    from(stream: LambdaResponseStream, metadata: { statusCode: number; headers: Record<string, string> }): LambdaResponseStream;
  };
}

function request(event: FunctionUrlEvent): [string, string, RequestHeaders, string | Buffer | undefined] {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = (event.rawPath ?? event.requestContext?.http?.path ?? '/') + (event.rawQueryString ? `?${event.rawQueryString}` : '');
  const headers: Record<string, string | undefined> = {};
  // Function URLs lower-case header names already; this keeps other callers (tests, API Gateway) right.
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  if (!headers['x-request-id'] && event.requestContext?.requestId) headers['x-request-id'] = event.requestContext.requestId;
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  return [method, path, headers, body];
}

async function drain(r: RouterResponse): Promise<string> {
  if (!r.stream) return r.body ?? '';
  let text = '';
  for await (const chunk of r.stream) text += chunk;
  return text;
}

async function writeTo(stream: LambdaResponseStream, r: RouterResponse): Promise<void> {
  if (!r.stream) {
    stream.write(r.body ?? '');
  } else {
    for await (const chunk of r.stream) {
      if (!stream.write(chunk) && stream.once) await new Promise<void>((resolve) => stream.once?.('drain', resolve));
    }
  }
  stream.end();
}

function awsLambdaGlobal(): AwsLambdaGlobal | undefined {
  return (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
}

/**
 * A Lambda handler for a function URL. Under the Node.js runtime's `awslambda.streamifyResponse`
 * (function URL with invoke mode RESPONSE_STREAM) SSE is streamed as it is produced; without it
 * (invoke mode BUFFERED, or another runtime) the response, streams included, is returned whole.
 */
export function createLambdaHandler(handle: HandleRequest, awslambda: AwsLambdaGlobal | undefined = awsLambdaGlobal()): unknown {
  if (awslambda?.streamifyResponse) {
    return awslambda.streamifyResponse(async (event, responseStream) => {
      const r = await handle(...request(event));
      const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: r.status, headers: { ...r.headers } });
      await writeTo(out, r);
    });
  }
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const r = await handle(...request(event));
    return { statusCode: r.status, headers: { ...r.headers }, body: await drain(r), isBase64Encoded: false };
  };
}
