/**
 * The console as Lambda's Node.js runtime patches it: every console call becomes one stdout line
 * `<ISO timestamp>\t<request id>\t<LEVEL>\t<util.format(...)>` with newlines turned into `\r`
 * (AWS doc "Log and monitor Node.js Lambda functions"; aws-lambda-nodejs-runtime-interface-client
 * src/LogPatch.js). `AWS_LAMBDA_LOG_FORMAT=JSON` switches to Lambda's JSON lines and
 * `AWS_LAMBDA_LOG_LEVEL` drops the levels below it, as Lambda's advanced logging controls do.
 */

import util from 'node:util';

import { formatLoggedError, intoError } from './errors.mjs';

/** Lambda's log levels, least severe first; console.log is INFO. */
export const LEVELS = Object.freeze({
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  ERROR: 5,
  FATAL: 6,
});

/** Which level each patched console method logs at. */
const METHOD_LEVELS = Object.freeze({
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  log: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
});

// AWS keeps the current request id in a global under this well-known symbol; libraries read it.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');

/** Record the invocation whose request id (and tenant id) log lines carry from now on. */
export function setLoggingContext(requestId, tenantId) {
  globalThis[REQUEST_ID] = requestId;
  globalThis[TENANT_ID] = tenantId;
}

/** A text log line; before the first invocation the request id reads `undefined`, as on AWS. */
export function formatTextLine(timestamp, requestId, level, message, ...params) {
  const line = `${timestamp}\t${requestId}\t${level}\t${util.format(message, ...params)}`;
  return line.replace(/\n/g, '\r');
}

/** Errors nested in a JSON log message, spelled out as Lambda's JSON log format shows them. */
function jsonErrorReplacer(key, value) {
  if (!(value instanceof Error)) {
    return value;
  }
  const stackTrace = typeof value.stack === 'string' ? value.stack.split('\n') : value.stack;
  return Object.assign(
    {
      errorType: value?.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace,
    },
    value,
  );
}

/** The first error among the arguments, as the JSON format's top-level error fields. */
function errorFields(params) {
  const error = params.find((param) => param instanceof Error);
  if (error === undefined) {
    return {};
  }
  return {
    errorType: error?.constructor?.name ?? 'UnknownError',
    errorMessage: error.message,
    stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
  };
}

/** A JSON log line: one argument is kept as structured data, several are formatted to text. */
export function formatJsonLine(timestamp, requestId, tenantId, level, ...params) {
  const record = { timestamp, level, requestId };
  if (tenantId !== undefined && tenantId !== null) {
    record.tenantId = tenantId;
  }
  let line;
  if (params.length === 1) {
    try {
      line = JSON.stringify({ ...record, message: params[0] }, jsonErrorReplacer);
    } catch {
      line = JSON.stringify({ ...record, message: util.format(params[0]) });
    }
  } else {
    line = JSON.stringify({ ...record, message: util.format(...params), ...errorFields(params) });
  }
  return line.replace(/\n/g, '\r');
}

/** Build the line writer for the configured format. */
function lineWriter(format, write) {
  if (format === 'JSON') {
    return (level, params) => {
      const [requestId, tenantId] = [globalThis[REQUEST_ID], globalThis[TENANT_ID]];
      write(`${formatJsonLine(new Date().toISOString(), requestId, tenantId, level, ...params)}\n`);
    };
  }
  return (level, params) => {
    const requestId = globalThis[REQUEST_ID];
    write(`${formatTextLine(new Date().toISOString(), requestId, level, ...params)}\n`);
  };
}

/** The configured log format: JSON when `AWS_LAMBDA_LOG_FORMAT` says so, text otherwise. */
function logFormat(env) {
  return env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON' ? 'JSON' : 'TEXT';
}

/**
 * Replace the console's methods with Lambda's line writer; returns the writer of the
 * runtime's own error lines (`Invoke Error`, `Uncaught Exception`, ...).
 */
export function patchConsole({
  env = process.env,
  // process.stdout writes to files and pipes synchronously on Linux, so a line is out before
  // the runtime posts the invocation's result, as lambdock's log channel expects.
  write = (text) => process.stdout.write(text),
  target = console,
} = {}) {
  const format = logFormat(env);
  const writeLine = lineWriter(format, write);
  const minimum = LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  for (const [method, level] of Object.entries(METHOD_LEVELS)) {
    // AWS passes (message, ...params) so that a bare console.log() prints "undefined".
    target[method] =
      LEVELS[level] >= minimum
        ? (message, ...params) => writeLine(level, [message, ...params])
        : () => {};
  }
  if (format === 'JSON') {
    return (label, error) => target.error(intoError(error));
  }
  return (label, error) => target.error(label, formatLoggedError(intoError(error)));
}
