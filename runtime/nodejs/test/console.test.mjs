// Log lines as Lambda's Node.js runtime writes them (AWS doc "Log and monitor Node.js Lambda
// functions": `2019-06-07T19:11:20.562Z\tc793869b-...\tINFO\tmessage`; the JSON format and log
// levels of Lambda's advanced logging controls).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatJsonLine,
  formatTextLine,
  patchConsole,
  setLoggingContext,
} from '../console.mjs';

const TIMESTAMP = '2024-01-01T00:00:00.000Z';
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t/;

/** Patch a stand-in console with this environment; returns it, its output and the error logger. */
function patched(env) {
  const output = [];
  const target = {};
  const logError = patchConsole({ env, write: (text) => output.push(text), target });
  return { target, output, logError };
}

/** The output lines without their (varying) timestamps. */
function withoutTimestamps(output) {
  return output.map((text) => {
    assert.match(text, LINE);
    return text.replace(LINE, '');
  });
}

test('a text line is timestamp, request id, level and the util.format message', () => {
  assert.equal(
    formatTextLine(TIMESTAMP, 'req-1', 'INFO', 'count %d of %s', 3, 'items', { a: 1 }),
    "2024-01-01T00:00:00.000Z\treq-1\tINFO\tcount 3 of items { a: 1 }",
  );
});

test('newlines inside a text line become carriage returns', () => {
  assert.equal(
    formatTextLine(TIMESTAMP, 'req-1', 'WARN', 'first\nsecond'),
    '2024-01-01T00:00:00.000Z\treq-1\tWARN\tfirst\rsecond',
  );
});

test('console.log with no arguments logs "undefined", as AWS does', () => {
  assert.equal(
    formatTextLine(TIMESTAMP, undefined, 'INFO'),
    '2024-01-01T00:00:00.000Z\tundefined\tINFO\tundefined',
  );
});

test('each console method writes its level, with the current request id', () => {
  const { target, output } = patched({});
  setLoggingContext('req-7', undefined);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal']) {
    target[method](method);
  }
  assert.deepEqual(withoutTimestamps(output), [
    'req-7\tINFO\tlog\n',
    'req-7\tINFO\tinfo\n',
    'req-7\tWARN\twarn\n',
    'req-7\tERROR\terror\n',
    'req-7\tDEBUG\tdebug\n',
    'req-7\tTRACE\ttrace\n',
    'req-7\tFATAL\tfatal\n',
  ]);
});

test('AWS_LAMBDA_LOG_LEVEL drops the levels below it', () => {
  const { target, output } = patched({ AWS_LAMBDA_LOG_LEVEL: 'warn' });
  setLoggingContext('req-8', undefined);
  for (const method of ['debug', 'info', 'warn', 'error']) {
    target[method](method);
  }
  assert.deepEqual(withoutTimestamps(output), ['req-8\tWARN\twarn\n', 'req-8\tERROR\terror\n']);
});

test('a runtime error line is the label, a space, a tab and the error as JSON', () => {
  const { output, logError } = patched({});
  setLoggingContext('req-9', undefined);
  logError('Invoke Error', 'plain text');
  const [text] = withoutTimestamps(output);
  const [prefix, json] = text.split(' \t');
  assert.equal(prefix, 'req-9\tERROR\tInvoke Error');
  const logged = JSON.parse(json);
  assert.deepEqual(
    { errorType: logged.errorType, errorMessage: logged.errorMessage },
    { errorType: 'Error', errorMessage: 'plain text' },
  );
  assert.equal(logged.stack[0], 'Error: plain text');
});

test('a JSON line keeps a single argument as structured data', () => {
  assert.equal(
    formatJsonLine(TIMESTAMP, 'req-1', undefined, 'INFO', { orderId: 'o-1' }),
    '{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","requestId":"req-1",' +
      '"message":{"orderId":"o-1"}}',
  );
});

test('a JSON line formats several arguments and lifts the first error into its fields', () => {
  const error = new RangeError('too big');
  error.stack = 'RangeError: too big\n    at check';
  assert.deepEqual(
    JSON.parse(formatJsonLine(TIMESTAMP, 'req-1', 'tenant-a', 'ERROR', 'failed:', error)),
    {
      timestamp: TIMESTAMP,
      level: 'ERROR',
      requestId: 'req-1',
      tenantId: 'tenant-a',
      message: 'failed: RangeError: too big\n    at check',
      errorType: 'RangeError',
      errorMessage: 'too big',
      stackTrace: ['RangeError: too big', '    at check'],
    },
  );
});

test('AWS_LAMBDA_LOG_FORMAT=JSON makes every console method write JSON lines', () => {
  const { target, output } = patched({ AWS_LAMBDA_LOG_FORMAT: 'json' });
  setLoggingContext('req-2', undefined);
  target.warn('careful');
  const record = JSON.parse(output[0]);
  assert.deepEqual(
    { level: record.level, requestId: record.requestId, message: record.message },
    { level: 'WARN', requestId: 'req-2', message: 'careful' },
  );
});
