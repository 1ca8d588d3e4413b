// Error payloads and error log text, as AWS's Node.js runtime produces them
// (AWS doc "AWS Lambda function errors in Node.js"; aws-lambda-nodejs-runtime-interface-client
// src/Errors.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatLoggedError,
  ImportModuleError,
  intoError,
  NodeJsExit,
  NODE_JS_EXIT_MESSAGE,
  toErrorPayload,
  UNREADABLE_ERROR_MESSAGE,
  UnhandledPromiseRejection,
} from '../errors.mjs';

/** An error with a fixed stack, so payloads can be compared whole. */
function withStack(error, stack) {
  Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true });
  return error;
}

test('an Error becomes errorType, errorMessage and the stack split into lines', () => {
  const stack = 'TypeError: bad input\n    at handler (app.js:1:1)';
  const error = withStack(new TypeError('bad input'), stack);
  assert.deepEqual(toErrorPayload(error), {
    errorType: 'TypeError',
    errorMessage: 'bad input',
    trace: ['TypeError: bad input', '    at handler (app.js:1:1)'],
  });
});

test("an Error subclass reports its name, which is the parent's unless it sets its own", () => {
  class Unnamed extends Error {}
  class Named extends Error {
    constructor(message) {
      super(message);
      this.name = 'Named';
    }
  }
  assert.equal(toErrorPayload(new Unnamed('x')).errorType, 'Error');
  assert.equal(toErrorPayload(new Named('x')).errorType, 'Named');
});

test('a thrown value that is not an error reports its typeof and its text', () => {
  assert.deepEqual(toErrorPayload('just text'), {
    errorType: 'string',
    errorMessage: 'just text',
    trace: [],
  });
  assert.deepEqual(toErrorPayload(42), { errorType: 'number', errorMessage: '42', trace: [] });
  assert.deepEqual(toErrorPayload({ a: 1 }), {
    errorType: 'object',
    errorMessage: '[object Object]',
    trace: [],
  });
});

test('an object shaped like an error is reported as one', () => {
  const errorLike = { name: 'Foreign', message: 'from another realm', stack: 'Foreign: x\n  at y' };
  assert.deepEqual(toErrorPayload(errorLike), {
    errorType: 'Foreign',
    errorMessage: 'from another realm',
    trace: ['Foreign: x', '  at y'],
  });
});

test('a value whose text cannot be read gives the "handled" payload', () => {
  assert.deepEqual(toErrorPayload(null), {
    errorType: 'handled',
    errorMessage: UNREADABLE_ERROR_MESSAGE,
  });
});

test('DEL characters are percent-encoded in the payload', () => {
  const error = withStack(new Error('a\x7Fb'), 'Error: a\x7Fb');
  assert.deepEqual(toErrorPayload(error), {
    errorType: 'Error',
    errorMessage: 'a%7Fb',
    trace: ['Error: a%7Fb'],
  });
});

test('runtime errors are named Runtime.<type>', () => {
  const error = new ImportModuleError(new Error("Cannot find module 'x'"));
  assert.equal(error.name, 'Runtime.ImportModuleError');
  assert.equal(error.message, "Error: Cannot find module 'x'");
  assert.equal(error.constructor.name, 'ImportModuleError');
  assert.equal(new NodeJsExit().message, NODE_JS_EXIT_MESSAGE);
});

test('an unhandled rejection carries the reason as text and keeps reason and promise', () => {
  const promise = Promise.resolve();
  const error = new UnhandledPromiseRejection(new Error('boom'), promise);
  assert.equal(error.name, 'Runtime.UnhandledPromiseRejection');
  assert.equal(error.message, 'Error: boom');
  assert.equal(error.promise, promise);
  assert.equal(new UnhandledPromiseRejection(Symbol('s')).message, 'Symbol(s)');
  assert.equal(new UnhandledPromiseRejection(undefined).message, '');
});

test('a logged error is a tab then JSON with type, message, own fields and stack lines', () => {
  const error = withStack(new Error('refused'), 'Error: refused\n    at connect');
  error.code = 'ECONNREFUSED';
  error.port = 5432;
  assert.equal(
    formatLoggedError(error),
    '\t{"errorType":"Error","errorMessage":"refused","code":"ECONNREFUSED","port":5432,' +
      '"stack":["Error: refused","    at connect"]}',
  );
});

test('a logged unhandled rejection spells out its reason and shows the promise as {}', () => {
  const reason = withStack(new Error('boom'), 'Error: boom');
  const error = withStack(
    new UnhandledPromiseRejection(reason, Promise.resolve()),
    'Runtime.UnhandledPromiseRejection: Error: boom',
  );
  assert.equal(
    formatLoggedError(error),
    '\t{"errorType":"Runtime.UnhandledPromiseRejection","errorMessage":"Error: boom",' +
      '"reason":{"errorType":"Error","errorMessage":"boom","stack":["Error: boom"]},' +
      '"promise":{},"stack":["Runtime.UnhandledPromiseRejection: Error: boom"]}',
  );
});

test('a logged error that JSON cannot express falls back to the payload shape', () => {
  const error = withStack(new Error('cyclic'), 'Error: cyclic');
  error.self = error;
  assert.equal(
    formatLoggedError(error),
    '\t{"errorType":"Error","errorMessage":"cyclic","trace":["Error: cyclic"]}',
  );
});

test('intoError keeps errors and wraps anything else', () => {
  const error = new Error('kept');
  assert.equal(intoError(error), error);
  assert.equal(intoError('text').message, 'text');
  assert.equal(intoError('text') instanceof Error, true);
});
