// A client written for the live API, as a Node user would write it: the base URL is
// hard-coded. Run as `node client.mjs axios|fetch IMAGE`; prints what each call got, as JSON.
// Nothing here knows about the mock: HTTPS_PROXY and NODE_EXTRA_CA_CERTS bring it there.
import { readFile } from "node:fs/promises";
import axios from "axios";

const BASE = "https://api.stability.ai";
const HEADERS = { Authorization: "Bearer sk-node-client", Accept: "image/*" };

async function viaFetch(path, form) {
  const response = await fetch(BASE + path, { method: form ? "POST" : "GET", headers: HEADERS, body: form });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, type: response.headers.get("content-type"), body };
}

async function viaAxios(path, form) {
  const response = await axios.request({
    url: BASE + path,
    method: form ? "POST" : "GET",
    headers: HEADERS,
    data: form,
    responseType: "arraybuffer",
    validateStatus: () => true,
  });
  return { status: response.status, type: response.headers["content-type"], body: Buffer.from(response.data) };
}

async function upscale(call, image, operation, fields) {
  const form = new FormData();
  form.append("image", new Blob([image], { type: "image/png" }), "sample.png");
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  let answer = await call(`/v2beta/stable-image/upscale/${operation}`, form);
  if (answer.status === 200 && answer.type.startsWith("application/json")) {
    const { id } = JSON.parse(answer.body.toString());
    let polls = 0;
    do {
      polls += 1;
      answer = await call(`/v2beta/results/${id}`);
    } while (answer.status === 202 && polls < 20);
    return { status: answer.status, type: answer.type, bytes: answer.body.length, polls };
  }
  return { status: answer.status, type: answer.type, bytes: answer.body.length, polls: 0 };
}

const [library, imagePath] = process.argv.slice(2);
const call = library === "axios" ? viaAxios : viaFetch;
const image = await readFile(imagePath);
const results = {
  fast: await upscale(call, image, "fast", { output_format: "png" }),
  conservative: await upscale(call, image, "conservative", { prompt: "a sunny landscape" }),
  creative: await upscale(call, image, "creative", { prompt: "a sunny landscape", output_format: "jpeg" }),
};
console.log(JSON.stringify(results));
