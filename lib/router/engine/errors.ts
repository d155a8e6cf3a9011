/**
 * Errors the router returns to clients, in OpenAI's error shape so that OpenAI SDKs raise their
 * usual exception classes (`AuthenticationError`, `RateLimitError`, …) with our message.
 */

/** OpenAI's `error.type` values the router uses. */
export type RouterErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'insufficient_quota'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'server_error';

export interface OpenAiErrorBody {
  readonly error: { readonly message: string; readonly type: RouterErrorType; readonly code: string | null; readonly param: string | null };
}

export class RouterError extends Error {
  constructor(
    public readonly status: number,
    public readonly type: RouterErrorType,
    public readonly code: string | null,
    message: string,
    public readonly param: string | null = null,
    /** Extra response headers, e.g. `retry-after` on 429. */
    public readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RouterError';
  }

  toBody(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

export function invalidRequest(message: string, param: string | null = null, code: string | null = 'invalid_value'): RouterError {
  return new RouterError(400, 'invalid_request_error', code, message, param);
}
