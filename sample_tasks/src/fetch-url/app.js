/**
 * The fetch-url task, triggered by the incoming bucket's S3 events under `fetch-url/`.
 *
 * The recipe's shape: read and decode the input, `fetchUrl` queries a service over HTTP,
 * `processData` sums up what it answered, the output is packaged and published to the outgoing
 * bucket with the task's status. A thrown error fails the invocation; after its retries Lambda
 * hands the event to the OnFailure destination, which marks the task failed.
 */

const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');

// Created once per execution environment; the SDK reads AWS_REGION, credentials and
// AWS_ENDPOINT_URL_S3 from the environment as on AWS.
const s3 = new S3Client({});
const KEY = /^fetch-url\/([0-9a-f]{32})\.json$/;
const FETCH_TIMEOUT_MS = 10000;

async function getJson(bucket, key) {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await response.Body.transformToString('utf-8'));
  } catch (error) {
    if (error.name === 'NoSuchKey') return null;
    throw error;
  }
}

async function putJson(bucket, key, document) {
  await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: key, Body: JSON.stringify(document), ContentType: 'application/json',
  }));
}

async function recordStatus(taskId, status, details = {}) {
  const bucket = process.env.OUTGOING_BUCKET;
  const key = `status/${taskId}.json`;
  const previous = (await getJson(bucket, key)) || {};
  const now = new Date().toISOString();
  const document = {
    taskId, kind: 'fetch-url', status, submittedAt: previous.submittedAt || now, updatedAt: now,
    ...details,
  };
  await putJson(bucket, key, document);
  return document;
}

/** GET a URL and decode its JSON body; a non-2xx answer is an error. */
async function fetchUrl(url) {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
  }
  return response.json();
}

/** Sum up fetched data: for a list of records, their fields and the totals of numeric ones. */
function processData(inputData) {
  const records = Array.isArray(inputData) ? inputData : [inputData];
  const fields = new Set();
  const totals = {};
  for (const record of records) {
    if (record === null || typeof record !== 'object') continue;
    for (const [field, value] of Object.entries(record)) {
      fields.add(field);
      if (typeof value === 'number') totals[field] = (totals[field] || 0) + value;
    }
  }
  return { records: records.length, fields: [...fields].sort(), totals };
}

async function runTask(bucket, key) {
  const match = KEY.exec(key);
  if (!match) throw new Error(`s3://${bucket}/${key} is not a fetch-url task`);
  const taskId = match[1];
  await recordStatus(taskId, 'running');
  const description = await getJson(bucket, key);
  const { url } = description.task;
  const inputData = await fetchUrl(url);
  const result = { url, ...processData(inputData) };
  const resultKey = `results/${taskId}.json`;
  await putJson(process.env.OUTGOING_BUCKET, resultKey, result);
  console.log(`task ${taskId} (fetch-url) succeeded: ${result.records} records from ${url}`);
  return recordStatus(taskId, 'succeeded', { resultKey });
}

exports.handler = async (event) => {
  const tasks = [];
  for (const record of event.Records) {
    // S3 event keys are URL-encoded, spaces as '+' (AWS docs: "Event message structure").
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const status = await runTask(record.s3.bucket.name, key);
    tasks.push(status.taskId);
  }
  return { tasks };
};

exports.processData = processData;
