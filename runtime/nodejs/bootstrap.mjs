/**
 * The runtime loop: load the handler, then take invocations one at a time from the Runtime API
 * and report each one's result, with the semantics of AWS's Node.js runtime
 * (aws-lambda-nodejs-runtime-interface-client, src/Runtime.js and src/CallbackContext.js;
 * AWS doc "Define Lambda function handler in Node.js"):
 *
 * - an async handler (or one returning a promise) reports when its promise settles; if it never
 *   settles and the event loop runs empty, the invocation fails with Runtime.NodeJsExit;
 * - a callback handler reports on `callback(err, result)`, once the event loop is empty unless
 *   `context.callbackWaitsForEmptyEventLoop` is false ('beforeExit' tells when it is empty);
 * - `context.done/succeed/fail` report at once; the first of the four calls wins;
 * - a non-async handler that never calls back reports `null` once the event loop is empty;
 * - an uncaught exception or unhandled rejection fails the current invocation (or the init)
 *   and ends the process, with exit codes 129 and 128 as AWS's runtime uses.
 */

import { RuntimeApiClient } from './client.mjs';
import { buildContext, forwardTraceId, INVOCATION_HEADERS } from './context.mjs';
import { patchConsole, setLoggingContext } from './console.mjs';
import { NodeJsExit, toErrorPayload, UnhandledPromiseRejection } from './errors.mjs';
import { isAsyncFunction, loadHandler } from './handler.mjs';

const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const ALREADY_DONE_MESSAGE =
  'Invocation has already been reported as done. ' +
  'Cannot call complete more than once per invocation.';
const NO_OP = () => {};

/** Serialise a handler's result; undefined (and what JSON cannot express) becomes `null`. */
export function serializeResult(result) {
  try {
    return JSON.stringify(result === undefined ? null : result) ?? 'null';
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

/** Whether a handler's return value is a promise (anything with a `then` method). */
function isThenable(value) {
  return Boolean(value) && typeof value.then === 'function';
}

/** The execution environment's runtime: the loop, the process hooks and the reporting. */
export class Runtime {
  constructor({ client, env, exit, logError }) {
    this.client = client;
    this.env = env;
    this.exit = exit;
    this.logError = logError;
    this.handler = undefined;
    this.handlerIsAsync = false;
    // The invocation uncaught errors are reported against; undefined until the first one.
    this.requestId = undefined;
    this.exitListener = NO_OP;
  }

  /** Route the process's last-resort events to the Runtime API, as AWS's runtime does. */
  installProcessHooks(processObject = process) {
    processObject.on('uncaughtException', (error) => {
      this.logError('Uncaught Exception', error);
      this.failAndExit(error, EXIT_UNCAUGHT_EXCEPTION);
    });
    processObject.on('unhandledRejection', (reason, promise) => {
      const error = new UnhandledPromiseRejection(reason, promise);
      this.logError('Unhandled Promise Rejection', error);
      this.failAndExit(error, EXIT_UNHANDLED_REJECTION);
    });
    // Fires each time the event loop runs empty: how "wait for an empty event loop" is seen.
    processObject.on('beforeExit', () => {
      const listener = this.exitListener;
      this.exitListener = NO_OP;
      listener();
    });
  }

  /** Report an error as the init error (before any invocation) or the current one's, then exit. */
  failAndExit(error, exitCode) {
    const payload = toErrorPayload(error);
    const posted =
      this.requestId === undefined
        ? this.client.postInitError(payload)
        : this.client.postInvocationError(this.requestId, payload);
    posted.catch(NO_OP).finally(() => this.exit(exitCode));
  }

  /** A failure of the runtime itself (the Runtime API gone, a malformed invocation). */
  failFromTopLevel(error) {
    console.log(`Unexpected Top Level Error: ${error}`);
    this.failAndExit(error, EXIT_UNCAUGHT_EXCEPTION);
  }

  /** Start serving invocations with the loaded handler. */
  start(handler) {
    this.handler = handler;
    this.handlerIsAsync = isAsyncFunction(handler);
    this.scheduleNext();
  }

  /** Poll for the next invocation on a fresh turn of the event loop. */
  scheduleNext() {
    setImmediate(() => this.serveNext().catch((error) => this.failFromTopLevel(error)));
  }

  /** Wait for one invocation and start the handler on it. */
  async serveNext() {
    const { body, headers } = await this.client.nextInvocation();
    const requestId = headers[INVOCATION_HEADERS.requestId];
    if (!requestId) {
      throw new Error('invocation id is missing or invalid');
    }
    setLoggingContext(requestId, headers[INVOCATION_HEADERS.tenantId]);
    this.requestId = requestId;
    new Invocation(this, requestId).start(body, headers);
  }
}

/** One invocation: its completion functions, its default outcome and its report. */
class Invocation {
  constructor(runtime, requestId) {
    this.runtime = runtime;
    this.requestId = requestId;
    this.context = undefined;
    this.settled = false; // a completion function was called; later calls are ignored
    this.reported = false; // a response has been sent (AWS's "complete" guard)
    this.nextScheduled = false;
    const once =
      (operation) =>
      (...args) => {
        if (!this.settled) {
          this.settled = true;
          operation(...args);
        }
      };
    this.callback = once((error, result) => this.onCallback(error, result));
    this.done = once((error, result) => this.onDone(error, result));
    this.succeed = once((result) => this.onDone(null, result));
    this.fail = once((error) => this.onDone(error ?? 'handled', null));
  }

  /** Run the handler on the event; everything it throws synchronously goes to the callback. */
  start(body, headers) {
    const runtime = this.runtime;
    runtime.exitListener = () => this.onEmptyEventLoop();
    try {
      forwardTraceId(headers, runtime.env);
      const event = JSON.parse(body);
      const completion = { succeed: this.succeed, fail: this.fail, done: this.done };
      this.context = buildContext(headers, completion, { env: runtime.env });
      const result = runtime.handler(event, this.context, this.callback);
      if (isThenable(result)) {
        Promise.resolve(result).then(this.succeed, this.fail);
      }
    } catch (error) {
      this.callback(error);
    }
  }

  /** The event loop ran empty with nothing reported: AWS's default outcome. */
  onEmptyEventLoop() {
    this.reported = true;
    if (this.runtime.handlerIsAsync) {
      this.reportError(new NodeJsExit());
    } else {
      this.postResponse(null);
    }
  }

  /** `callback(error, result)`: a result waits for the empty event loop unless told not to. */
  onCallback(error, result) {
    this.runtime.exitListener = NO_OP;
    if (error !== undefined && error !== null) {
      this.reportError(error);
    } else if (this.context && !this.context.callbackWaitsForEmptyEventLoop) {
      this.respond(result);
    } else {
      this.runtime.exitListener = () => setImmediate(() => this.respond(result));
    }
  }

  /** `context.done(error, result)` (and succeed/fail): reports at once. */
  onDone(error, result) {
    this.runtime.exitListener = NO_OP;
    if (error !== undefined && error !== null) {
      this.reportError(error);
    } else {
      this.respond(result);
    }
  }

  /** Send the result, once. */
  respond(result) {
    if (this.reported) {
      console.error(ALREADY_DONE_MESSAGE);
      return;
    }
    this.reported = true;
    this.postResponse(result);
  }

  /** Log and send an invocation error. */
  reportError(error) {
    this.runtime.logError('Invoke Error', error);
    const posted = this.runtime.client.postInvocationError(this.requestId, toErrorPayload(error));
    this.afterPost(posted);
  }

  /** Serialise and send the result; one that cannot be serialised fails the invocation. */
  postResponse(result) {
    let bodyText;
    try {
      bodyText = serializeResult(result);
    } catch (error) {
      this.reportError(error);
      return;
    }
    this.afterPost(this.runtime.client.postInvocationResponse(this.requestId, bodyText));
  }

  /** Once the post is answered, go back for the next invocation (only once per invocation). */
  afterPost(posted) {
    posted.then(
      () => {
        if (!this.nextScheduled) {
          this.nextScheduled = true;
          this.runtime.scheduleNext();
        }
      },
      (error) => this.runtime.failFromTopLevel(error),
    );
  }
}

/** Start the runtime: patch the console, load `_HANDLER` from the task root, serve. */
export async function run({ env = process.env, client = undefined, exit = undefined } = {}) {
  const logError = patchConsole({ env });
  const runtime = new Runtime({
    client: client ?? new RuntimeApiClient(env.AWS_LAMBDA_RUNTIME_API),
    env,
    exit: exit ?? ((code) => process.exit(code)),
    logError,
  });
  runtime.installProcessHooks();
  let handler;
  try {
    handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER ?? '');
  } catch (error) {
    // AWS's runtime lets a load failure escape as an uncaught exception, logged as such.
    logError('Uncaught Exception', error);
    runtime.failAndExit(error, EXIT_UNCAUGHT_EXCEPTION);
    return;
  }
  runtime.start(handler);
}
