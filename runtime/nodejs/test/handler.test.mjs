// Handler resolution, checked against the fixture task roots and AWS's loader behaviour
// (AWS doc "Define Lambda function handler in Node.js"; aws-lambda-nodejs-runtime-interface-client
// src/UserFunction.js). Modules that fail to load are written to temporary folders, so that every
// file under fixtures/ stays safe to import.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  isAsyncFunction,
  isTypeModuleFolder,
  loadHandler,
  parseHandlerString,
} from '../handler.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CJS = path.join(FIXTURES, 'cjs');
const ESM = path.join(FIXTURES, 'esm');
const RUNTIME_INDEX = fileURLToPath(new URL('../index.mjs', import.meta.url));
const createdRoots = [];

after(() => {
  for (const root of createdRoots) {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** A fresh task root holding the given files; removed after the tests. */
function taskRoot(files) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lambdock-node-handler-'));
  createdRoots.push(root);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

/** Load the handler and expect a rejection with exactly this name and message. */
async function assertLoadFails(root, handlerString, name, message) {
  await assert.rejects(loadHandler(root, handlerString), (error) => {
    assert.deepEqual({ name: error.name, message: error.message }, { name, message });
    return true;
  });
}

test('a handler string splits into folder, module and property path', () => {
  assert.deepEqual(parseHandlerString('index.handler'), {
    moduleRoot: '',
    moduleName: 'index',
    handlerPath: 'handler',
  });
  assert.deepEqual(parseHandlerString('src/app.nested.fn'), {
    moduleRoot: 'src/',
    moduleName: 'app',
    handlerPath: 'nested.fn',
  });
});

test('a handler string without a dot is malformed', () => {
  assert.throws(() => parseHandlerString('index'), {
    name: 'Runtime.MalformedHandlerName',
    message: 'Bad handler',
  });
});

test('a handler string climbing out of the task root is malformed', () => {
  assert.throws(() => parseHandlerString('../app.handler'), {
    name: 'Runtime.MalformedHandlerName',
    message:
      "'../app.handler' is not a valid handler name. " +
      'Use absolute paths when specifying root directories in handler names.',
  });
});

for (const [root, handlerString, style] of [
  [CJS, 'index.handler', 'exports.handler'],
  [CJS, 'module_exports.handler', 'module.exports.handler'],
  [CJS, 'esm_module.handler', 'esm .mjs'],
  [CJS, 'app.nested.fn', 'nested'],
  [CJS, 'src/app.handler', 'src/app'],
  [ESM, 'index.handler', 'type module .js'],
  [ESM, 'legacy.handler', 'cjs in module package'],
  [ESM, 'cjs_island/index.handler', 'nearest package.json commonjs'],
]) {
  test(`${handlerString} in ${path.basename(root)} loads the ${style} handler`, async () => {
    const handler = await loadHandler(root, handlerString);
    assert.deepEqual(await handler('event'), { style, event: 'event' });
  });
}

for (const [moduleName, expected] of [
  ['extensionless', 'extensionless'],
  ['lookup_js', '.js'],
  ['lookup_mjs', '.mjs'],
  ['lookup_cjs', '.cjs'],
]) {
  test(`module ${moduleName} resolves to its ${expected} file, in AWS's lookup order`, async () => {
    const handler = await loadHandler(CJS, `${moduleName}.which`);
    assert.equal(handler(), expected);
  });
}

test('the nearest package.json decides whether .js files are ES modules', () => {
  assert.equal(isTypeModuleFolder(ESM), true);
  assert.equal(isTypeModuleFolder(path.join(ESM, 'cjs_island')), false);
  assert.equal(isTypeModuleFolder(CJS), false);
});

test('a node_modules folder ends the search for package.json', () => {
  const root = taskRoot({
    'package.json': '{"type": "module"}',
    'node_modules/dep/index.js': 'exports.handler = () => "commonjs dependency";',
  });
  assert.equal(isTypeModuleFolder(path.join(root, 'node_modules', 'dep')), false);
  assert.equal(isTypeModuleFolder(root), true);
});

test('an unreadable package.json counts as CommonJS', () => {
  const root = taskRoot({ 'package.json': '{not json', 'app.js': '' });
  const warnings = [];
  const originalWarn = console.warn;
  console.warn = (...args) => warnings.push(args[0]);
  try {
    assert.equal(isTypeModuleFolder(root), false);
  } finally {
    console.warn = originalWarn;
  }
  assert.deepEqual(warnings, [
    `${path.join(root, 'package.json')} cannot be read, it will be ignored for ES module ` +
      'detection purposes.',
  ]);
});

test('a missing module is an ImportModuleError whose require stack ends at index.mjs', async () => {
  await assertLoadFails(
    CJS,
    'missing.handler',
    'Runtime.ImportModuleError',
    `Error: Cannot find module 'missing'\nRequire stack:\n- ${RUNTIME_INDEX}`,
  );
});

test('a dependency missing from the handler module is an ImportModuleError', async () => {
  const root = taskRoot({ 'package.json': '{}', 'app.js': "require('absent-dependency');" });
  await assertLoadFails(
    root,
    'app.handler',
    'Runtime.ImportModuleError',
    "Error: Cannot find module 'absent-dependency'\nRequire stack:\n" +
      `- ${path.join(root, 'app.js')}\n- ${RUNTIME_INDEX}`,
  );
});

test('a package missing from an ES module is reported as Node reports it', async () => {
  const root = taskRoot({ 'app.mjs': "import 'absent-package';\nexport const handler = 1;\n" });
  await assertLoadFails(
    root,
    'app.handler',
    'Error',
    `Cannot find package 'absent-package' imported from ${path.join(root, 'app.mjs')}`,
  );
});

for (const filename of ['app.js', 'app.mjs']) {
  test(`a syntax error in ${filename} is a UserCodeSyntaxError`, async () => {
    const root = taskRoot({ 'package.json': '{}', [filename]: 'exports.handler = () => {' });
    await assert.rejects(loadHandler(root, 'app.handler'), (error) => {
      assert.equal(error.name, 'Runtime.UserCodeSyntaxError');
      assert.match(error.message, /^SyntaxError: /);
      return true;
    });
  });
}

test('an error thrown while the module loads passes through unwrapped', async () => {
  const root = taskRoot({ 'package.json': '{}', 'app.js': "throw new TypeError('at init');" });
  await assertLoadFails(root, 'app.handler', 'TypeError', 'at init');
});

test('a handler the module does not export is not found', async () => {
  await assertLoadFails(
    CJS,
    'index.absent',
    'Runtime.HandlerNotFound',
    'index.absent is undefined or not exported',
  );
});

test('a handler path naming a non-function is not found', async () => {
  await assertLoadFails(
    CJS,
    'app.notFunction',
    'Runtime.HandlerNotFound',
    'app.notFunction is not a function',
  );
});

test('only functions declared async count as async handlers', () => {
  assert.equal(isAsyncFunction(async () => {}), true);
  assert.equal(isAsyncFunction(() => Promise.resolve()), false);
  assert.equal(isAsyncFunction(function handler() {}), false);
});
