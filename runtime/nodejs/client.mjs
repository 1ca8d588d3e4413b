/**
 * HTTP client of the Lambda Runtime API 2018-06-01 (AWS doc "Using the Lambda runtime API for
 * custom runtimes"): long-poll the next invocation, post its response or error, post an init
 * error. `AWS_LAMBDA_RUNTIME_API` is `host:port`.
 */

import http from 'node:http';

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
// A post to the local Runtime API answers at once; this only bounds a wedged endpoint.
const POST_TIMEOUT_MS = 60_000;

/** Split `host:port` (or `[v6]:port`) into its parts. */
export function parseAddress(address) {
  const separator = address?.lastIndexOf(':') ?? -1;
  if (separator <= 0) {
    throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got ${JSON.stringify(address)}`);
  }
  const hostname = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number.parseInt(address.slice(separator + 1), 10);
  return { hostname, port };
}

/** The error-type header, left out when the type cannot travel in a header. */
function errorTypeHeader(errorType) {
  const valid = typeof errorType === 'string' && !/[^\t\x20-\x7e\x80-\xff]/.test(errorType);
  return valid ? { [ERROR_TYPE_HEADER]: errorType } : {};
}

/** Read a response body to the end as UTF-8 text. */
function readBody(response) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

/** Client of one execution environment's Runtime API endpoint. */
export class RuntimeApiClient {
  constructor(address) {
    const { hostname, port } = parseAddress(address);
    this.hostname = hostname;
    this.port = port;
    // Keep-alive connections, one for the long poll and one for posts, so a post (an uncaught
    // error between invocations) never queues behind a pending GET next. Idle keep-alive
    // sockets are unref'd by Node and so do not hold the event loop open.
    this.pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Send one request and resolve with `{ status, headers, body }`. */
  request({ method, path, agent, body = undefined, headers = {}, timeoutMs = 0 }) {
    return new Promise((resolve, reject) => {
      const options = { hostname: this.hostname, port: this.port, method, path, agent, headers };
      const request = http.request(options, (response) => {
        readBody(response).then(
          (text) => resolve({ status: response.statusCode, headers: response.headers, body: text }),
          reject,
        );
      });
      request.on('error', reject);
      if (timeoutMs > 0) {
        request.setTimeout(timeoutMs, () => {
          request.destroy(new Error(`Runtime API ${method} ${path} timed out`));
        });
      }
      request.end(body);
    });
  }

  /** Long-poll the next invocation: `{ body, headers }` with the event as JSON text. */
  async nextInvocation() {
    const path = `${API_PREFIX}/invocation/next`;
    const response = await this.request({ method: 'GET', path, agent: this.pollAgent });
    if (response.status !== 200) {
      throw new Error(`Runtime API GET ${path} answered ${response.status}: ${response.body}`);
    }
    return { body: response.body, headers: response.headers };
  }

  /** POST a JSON text body; the Runtime API's answer (202, or 4xx for a late post) is returned. */
  post(path, bodyText, headers = {}) {
    const body = Buffer.from(bodyText, 'utf8');
    return this.request({
      method: 'POST',
      path,
      agent: this.postAgent,
      body,
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers },
      timeoutMs: POST_TIMEOUT_MS,
    });
  }

  /** Post the handler's result, already serialised to JSON text. */
  postInvocationResponse(requestId, bodyText) {
    const path = `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`;
    return this.post(path, bodyText);
  }

  /** Post an invocation error payload `{errorType, errorMessage, trace}`. */
  postInvocationError(requestId, payload) {
    const path = `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/error`;
    return this.post(path, JSON.stringify(payload), errorTypeHeader(payload.errorType));
  }

  /** Post an initialisation error payload; the runtime exits afterwards. */
  postInitError(payload) {
    const path = `${API_PREFIX}/init/error`;
    return this.post(path, JSON.stringify(payload), errorTypeHeader(payload.errorType));
  }
}
