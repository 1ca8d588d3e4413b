/**
 * Entry point of lambdock's Node.js runtime client: `node runtime/nodejs/index.mjs`, started in
 * the task root with the environment Lambda gives a runtime (AWS_LAMBDA_RUNTIME_API, _HANDLER,
 * LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_*, ...). Standard library only; Node.js 18 or newer.
 */

import { run } from './bootstrap.mjs';

await run();
