/**
 * Resolve `_HANDLER` (`[dir/]module.path.to.fn`) to the user's function the way AWS's Node.js
 * runtime does (AWS doc "Define Lambda function handler in Node.js"; the loader of
 * aws-lambda-nodejs-runtime-interface-client, src/UserFunction.js):
 * an extensionless file first, then `module.js` (CommonJS unless the nearest package.json says
 * `"type": "module"`), `module.mjs`, `module.cjs`, and last a Node-style lookup of the bare name.
 * CommonJS is loaded with `require`, ES modules with dynamic `import()`.
 */

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  UserCodeSyntaxError,
} from './errors.mjs';

// User modules are required on behalf of the runtime's entry point, so a missing module's
// "Require stack" ends with it, as AWS's ends with /var/runtime/index.mjs.
const requireFromRuntime = createRequire(new URL('./index.mjs', import.meta.url));

/**
 * Split a handler string into the folder part, the module name and the property path.
 * `src/app.nested.fn` gives `{ moduleRoot: 'src/', moduleName: 'app', handlerPath: 'nested.fn' }`.
 */
export function parseHandlerString(handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. ` +
        'Use absolute paths when specifying root directories in handler names.',
    );
  }
  const moduleAndPath = path.basename(handlerString);
  const moduleRoot = handlerString.substring(0, handlerString.indexOf(moduleAndPath));
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndPath);
  if (match === null) {
    throw new MalformedHandlerName('Bad handler');
  }
  return { moduleRoot, moduleName: match[1], handlerPath: match[2] };
}

/**
 * Whether `.js` files in `folder` are ES modules: the nearest package.json decides; a
 * `node_modules` folder or the file-system root without one means CommonJS.
 */
export function isTypeModuleFolder(folder) {
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    if (current.endsWith(`${path.sep}node_modules`)) {
      return false;
    }
    const manifest = path.join(current, 'package.json');
    const isModule = fs.existsSync(manifest) ? readTypeModule(manifest) : undefined;
    if (isModule !== undefined) {
      return isModule;
    }
    if (current === path.dirname(current)) {
      return false;
    }
  }
}

/**
 * Read `"type"` from a package.json: undefined when it holds no object (the search goes on);
 * an unreadable one counts as CommonJS, with AWS's warning.
 */
function readTypeModule(manifest) {
  try {
    const manifestData = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    return manifestData ? manifestData.type === 'module' : undefined;
  } catch (error) {
    console.warn(
      `${manifest} cannot be read, it will be ignored for ES module detection purposes.`,
      error,
    );
    return false;
  }
}

/** `require` the file when it exists. */
function requireIfExists(file) {
  return fs.existsSync(file) ? requireFromRuntime(file) : undefined;
}

/** `import()` the file when it exists. */
async function importIfExists(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

/** Load the module in AWS's lookup order; throws what loading throws. */
async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const extensionless = requireIfExists(base);
  if (extensionless) {
    return extensionless;
  }
  const jsIsModule = fs.existsSync(`${base}.js`) && isTypeModuleFolder(path.dirname(base));
  const loaded =
    (!jsIsModule && requireIfExists(`${base}.js`)) ||
    (jsIsModule && (await importIfExists(`${base}.js`))) ||
    (await importIfExists(`${base}.mjs`)) ||
    requireIfExists(`${base}.cjs`);
  if (loaded) {
    return loaded;
  }
  // Last, Node's own resolution from the task root (e.g. a package in node_modules); this is
  // also what produces AWS's "Cannot find module '<name>'" when nothing matched.
  const resolved = requireFromRuntime.resolve(moduleName, { paths: [appRoot, moduleRoot] });
  return requireFromRuntime(resolved);
}

/** Load the module, wrapping syntax and not-found errors in AWS's Runtime.* errors. */
async function loadUserModule(appRoot, moduleRoot, moduleName) {
  try {
    return await loadModule(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new UserCodeSyntaxError(error);
    }
    if (error?.code === 'MODULE_NOT_FOUND') {
      throw new ImportModuleError(error);
    }
    throw error;
  }
}

/** Follow a dotted property path (`nested.fn`) from the module. */
function resolveProperty(userModule, handlerPath) {
  return handlerPath.split('.').reduce((value, key) => value && value[key], userModule);
}

/** Load the handler function named by `handlerString`, relative to the task root `appRoot`. */
export async function loadHandler(appRoot, handlerString) {
  const { moduleRoot, moduleName, handlerPath } = parseHandlerString(handlerString);
  const userModule = await loadUserModule(appRoot, moduleRoot, moduleName);
  const handler = resolveProperty(userModule, handlerPath);
  if (!handler) {
    throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${handlerString} is not a function`);
  }
  return handler;
}

/** Whether the handler is declared `async`; AWS fails one whose promise never settles. */
export function isAsyncFunction(handler) {
  return handler?.constructor?.name === 'AsyncFunction';
}
