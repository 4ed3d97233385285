// A command-line client of the upscale API in Node 20+, with nothing but Node itself
// (global fetch, FormData and Blob), for the contract suite's command adapter:
//   stability-mock contract --client-cmd "node examples/upscale.mjs {operation} {image} {output} {fields}"
// Usage: upscale.mjs OPERATION IMAGE OUTPUT FIELDS_JSON
// STABILITY_API_BASE (default https://api.stability.ai) and STABILITY_API_KEY come from the
// environment; STABILITY_POLL_SECONDS (default 10) is the pause between polls.
import { readFile, rename, writeFile } from "node:fs/promises";

const [operation, imagePath, outputPath, fieldsPath] = process.argv.slice(2);
const base = (process.env.STABILITY_API_BASE ?? "https://api.stability.ai").replace(/\/+$/, "");
const key = process.env.STABILITY_API_KEY;
const pollSeconds = Number(process.env.STABILITY_POLL_SECONDS ?? "10");
const backoffSeconds = Number(process.env.STABILITY_BACKOFF_SECONDS ?? "1");
const maxPolls = 360;
const retried = new Set([429, 500, 502, 503, 504]);

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

class UpscaleError extends Error {}

// One call, retried on 429 and 5xx: after Retry-After when the API says, else with back-off.
async function call(method, path, form) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(base + path, {
      method,
      body: form,
      headers: { Authorization: `Bearer ${key}`, Accept: "image/*" },
    });
    if (!retried.has(response.status) || attempt === 3) {
      if (response.status >= 400) {
        throw new UpscaleError(`${method} ${path} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
      }
      return response;
    }
    await response.arrayBuffer();
    const retryAfter = Number(response.headers.get("retry-after") ?? "0") || 0;
    await sleep(Math.max(backoffSeconds * 2 ** attempt, retryAfter));
  }
}

async function imageOf(response) {
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== 200 || !type.startsWith("image/")) {
    throw new UpscaleError(`expected an image, got ${response.status} ${type}`);
  }
  if (response.headers.get("finish-reason") === "CONTENT_FILTERED") {
    throw new UpscaleError("the image was filtered by content moderation");
  }
  return Buffer.from(await response.arrayBuffer());
}

async function upscale() {
  const fields = JSON.parse(await readFile(fieldsPath, "utf8"));
  const form = new FormData();
  form.append("image", new Blob([await readFile(imagePath)]), "image");
  for (const [name, value] of Object.entries(fields)) {
    form.append(name, String(value));
  }
  const started = await call("POST", `/v2beta/stable-image/upscale/${operation}`, form);
  // Conservative answers the image at once on the live API, a generation id under the seed spec.
  if (!(started.headers.get("content-type") ?? "").startsWith("application/json")) {
    return imageOf(started);
  }
  const { id } = await started.json();
  for (let poll = 0; poll < maxPolls; poll++) {
    const answer = await call("GET", `/v2beta/results/${id}`);
    if (answer.status !== 202) {
      return imageOf(answer);
    }
    await answer.arrayBuffer();
    await sleep(pollSeconds);
  }
  throw new UpscaleError(`generation ${id} did not finish after ${maxPolls} polls`);
}

try {
  const image = await upscale();
  // Written next to the target, then renamed: a failure never leaves a partial output file.
  await writeFile(`${outputPath}.partial`, image);
  await rename(`${outputPath}.partial`, outputPath);
  // Exit now rather than when fetch's idle keep-alive connection times out.
  process.exit(0);
} catch (error) {
  console.error(`upscale.mjs: ${error.message}`);
  process.exit(1);
}
