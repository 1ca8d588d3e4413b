/**
 * Error types of the runtime and the two ways an error leaves it: the Runtime API payload
 * `{errorType, errorMessage, trace}` and the JSON text of an `Invoke Error` log line.
 *
 * Both follow AWS's Node.js runtime (aws-lambda-nodejs-runtime-interface-client, src/Errors.js):
 * an error's `name` is its errorType, so an Error subclass that does not set `name` reports
 * "Error"; a thrown value that is not an error reports `typeof value` as its errorType.
 */

import util from 'node:util';

/** Message AWS gives for an async handler whose promise never settled (Runtime.NodeJsExit). */
export const NODE_JS_EXIT_MESSAGE =
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly ' +
  'caused by a Promise that was never settled. For more information, see ' +
  'https://nodejs.org/docs/latest/api/process.html#exit-codes';

/** Message AWS sends when an error's name, message or stack cannot be read. */
export const UNREADABLE_ERROR_MESSAGE =
  'callback called with Error argument, but there was a problem while retrieving one or more ' +
  'of its message, name, and stack';

/** Define an Error subclass whose instances are named `Runtime.<shortName>`, as AWS names them. */
function runtimeErrorClass(shortName) {
  const errorClass = class extends Error {};
  Object.defineProperty(errorClass, 'name', { value: shortName });
  errorClass.prototype.name = `Runtime.${shortName}`;
  return errorClass;
}

/** The handler's module (or a module it requires) cannot be found. */
export const ImportModuleError = runtimeErrorClass('ImportModuleError');
/** The module loaded but the handler path names nothing, or something that is not a function. */
export const HandlerNotFound = runtimeErrorClass('HandlerNotFound');
/** `_HANDLER` is not of the form `[path/]module.function`. */
export const MalformedHandlerName = runtimeErrorClass('MalformedHandlerName');
/** The handler's module (or a module it loads) does not parse. */
export const UserCodeSyntaxError = runtimeErrorClass('UserCodeSyntaxError');

/** An async handler's promise never settled and the event loop ran empty. */
export class NodeJsExit extends runtimeErrorClass('NodeJsExit') {
  constructor() {
    super(NODE_JS_EXIT_MESSAGE);
  }
}

/** A promise rejected with nobody handling it; the reason and promise ride along as AWS's do. */
export class UnhandledPromiseRejection extends runtimeErrorClass('UnhandledPromiseRejection') {
  constructor(reason, promise) {
    super(reason === undefined ? undefined : safeString(reason));
    this.reason = reason;
    this.promise = promise;
  }
}

/** `String(value)`, or a placeholder for values (symbols, hostile objects) that refuse it. */
function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** True for values AWS treats as errors: native errors and objects shaped like one. */
function isErrorLike(value) {
  return (
    util.types.isNativeError(value) ||
    (Boolean(value) &&
      typeof value.name === 'string' &&
      value.name !== '' &&
      typeof value.message === 'string' &&
      value.message !== '' &&
      typeof value.stack === 'string' &&
      value.stack !== '')
  );
}

/** DEL cannot travel in the payload; AWS percent-encodes it. */
function escapeDelete(text) {
  return text.replaceAll('\x7F', '%7F');
}

/** The Runtime API error body for any thrown or rejected value. */
export function toErrorPayload(error) {
  try {
    if (isErrorLike(error)) {
      return {
        errorType: escapeDelete(error.name),
        errorMessage: escapeDelete(error.message),
        trace: escapeDelete(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return { errorType: 'handled', errorMessage: UNREADABLE_ERROR_MESSAGE };
  }
}

/** An Error for any value: errors pass through, anything else becomes `new Error(value)`. */
export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

/** Spell out an Error's non-enumerable fields so JSON shows them, keeping its own fields too. */
function expandError(key, value) {
  if (!(value instanceof Error)) {
    return value;
  }
  const expanded = Object.assign(
    { errorType: value.name, errorMessage: value.message, code: value.code },
    value,
  );
  if (typeof value.stack === 'string') {
    expanded.stack = value.stack.split('\n');
  }
  return expanded;
}

/**
 * The text that follows the label of an error log line: a tab, then the error as JSON.
 * Falls back to the payload shape when the error cannot be serialised (a cycle, a BigInt).
 */
export function formatLoggedError(error) {
  try {
    return `\t${JSON.stringify(error, expandError)}`;
  } catch {
    return `\t${JSON.stringify(toErrorPayload(error))}`;
  }
}
