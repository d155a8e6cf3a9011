/**
 * How every cloud starts the model server container, in one place so the three renderings of a
 * GPU endpoint run the same server the same way. Pure string building, no construct library.
 */

/** Name of the model server container on every replica. */
export const MODEL_SERVER_CONTAINER = 'model-server';

/**
 * Shared memory per GPU for the server's worker processes (NCCL, tensor parallelism), given with
 * `--shm-size` rather than `--ipc host`, which would share the host's IPC namespace with the container.
 */
export const SHM_GIB_PER_GPU = 4;

/**
 * Host directory mounted as the container's Hugging Face cache, so a restarted container finds the
 * weights on the root volume instead of downloading them again through the NAT gateway.
 */
export const MODEL_CACHE_HOST_DIR = '/opt/ai-stack/cache';
export const MODEL_CACHE_CONTAINER_DIR = '/root/.cache/huggingface';

/**
 * The model server's own variable that makes it refuse requests without the key: vLLM's OpenAI
 * server reads `VLLM_API_KEY` (same effect as `--api-key`) and then requires `Authorization: Bearer`
 * on every `/v1` path (its health check stays open for the load balancer). A stack with a router
 * passes each endpoint's key secret under this name in `serverSecrets`, so only the router, which
 * holds the secret, can call the endpoint.
 */
export const MODEL_SERVER_API_KEY_ENV = 'VLLM_API_KEY';

/** Quotes a value for a POSIX shell: one word, no expansion; embedded single quotes escaped. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What a replica's boot script needs to start the model server, on every cloud. */
export interface ModelServerBoot {
  readonly image: string;
  readonly model: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** GPUs per replica: sizes the container's shared memory. */
  readonly acceleratorsPerReplica: number;
  /** Environment variable name → the cloud's reference to a secret, read at boot, never rendered as a value. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** The part of a resolved endpoint the server command needs. */
export interface ModelServerCommand {
  readonly model: string;
  readonly port: number;
  readonly args: readonly string[];
}

/**
 * Arguments after the image: `--model <model> --port <port> <args>`. The port is passed explicitly so
 * the server listens where the load balancer's health check and the port mapping expect it (vLLM and
 * TGI both take `--port`), unless the user's own args already set it.
 */
export function modelServerArgs(server: ModelServerCommand): string[] {
  const setsPort = server.args.some((a) => a === '--port' || a.startsWith('--port='));
  return ['--model', server.model, ...(setsPort ? [] : ['--port', String(server.port)]), ...server.args];
}

/** `docker run` flags common to every cloud: GPUs, restart policy, shared memory, port, model cache. */
export function commonDockerRunFlags(port: number, acceleratorsPerReplica: number): string[] {
  return [
    `--name ${MODEL_SERVER_CONTAINER}`,
    '--restart unless-stopped',
    '--gpus all',
    `--shm-size ${SHM_GIB_PER_GPU * acceleratorsPerReplica}g`,
    `-p ${port}:${port}`,
    `-v ${MODEL_CACHE_HOST_DIR}:${MODEL_CACHE_CONTAINER_DIR}`,
  ];
}
