// The contract suite's adapter for npm `stability-ai` (jbeoris/stability-ai-node-sdk), used as its
// README shows and otherwise unchanged. The SDK hard-codes https://api.stability.ai and sends
// through axios, which follows HTTPS_PROXY: run it with `stability-mock contract --proxy`.
//   stability-mock contract --proxy --profile live --skip-field style_preset \
//     --client-cmd "node examples/adapters/node/stability_ai_adapter.cjs {operation} {image} {output} {fields}"
// Usage: stability_ai_adapter.cjs OPERATION IMAGE OUTPUT FIELDS_JSON. From the environment: the
// key (STABILITY_API_KEY), the pause between polls (STABILITY_POLL_SECONDS, default 2.5 as in
// the SDK's README), and which fetch creative polls with (STABILITY_AI_POLL, below).
// Exit 0 with OUTPUT written: the SDK returned an image; exit 1: it threw, or flagged the result
// as filtered or errored; exit 64: the SDK has no such operation.
"use strict";

const fs = require("node:fs");
const StabilityAI = require("stability-ai").default;

const UNSUPPORTED = 64;
// The SDK's names for the API's fields; a field missing here has no option in the SDK.
const OPTIONS = {
  negative_prompt: "negativePrompt",
  output_format: "outputFormat",
  seed: "seed",
  creativity: "creativity",
};

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

// The SDK's options for `fields`, and a note on stderr for each field it has no option for:
// dropping it is all an SDK user can do, and the note shows in the suite's report.
function optionsOf(fields) {
  const options = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === "prompt") continue;
    if (name in OPTIONS) options[OPTIONS[name]] = value;
    else console.error(`stability-ai has no option for ${name}; not sent`);
  }
  return options;
}

// The SDK's creative upscale is a start and a result fetch; this is the loop of its README. The
// SDK has two fetches: the upscale's own (the legacy creative/result path, the README's), and
// with STABILITY_AI_POLL=results the generic one (/v2beta/results, which asks for
// `Accept: application/json; type=image/png`).
async function creative(stability, image, prompt, options) {
  const { upscale, results } = stability.v2beta.stableImage;
  const started = await upscale.startCreative(image, prompt, options);
  const fetch =
    process.env.STABILITY_AI_POLL === "results"
      ? () => results.fetchAsyncGenerationResult(started.id)
      : () => upscale.fetchCreativeResult(started.id, started.outputFormat);
  const pause = Number(process.env.STABILITY_POLL_SECONDS ?? "2.5");
  for (;;) {
    const result = await fetch();
    if ("filepath" in result) return result;
    if (result.status === "in-progress") await sleep(pause);
  }
}

async function main([operation, image, output, fieldsPath]) {
  const stability = new StabilityAI(process.env.STABILITY_API_KEY);
  const fields = JSON.parse(fs.readFileSync(fieldsPath, "utf8"));
  const options = optionsOf(fields);
  let result;
  if (operation === "conservative") {
    result = await stability.v2beta.stableImage.upscale.conservative(image, fields.prompt, options);
  } else if (operation === "creative") {
    result = await creative(stability, image, fields.prompt, options);
  } else {
    console.error(`stability-ai has no ${operation} upscale`);
    return UNSUPPORTED;
  }
  // The SDK writes each result to a file of its own in the temporary folder, and reports a
  // filtered or failed generation only with these flags; an unchecked flag would hand the
  // blurred image back as a success.
  try {
    if (result.contentFiltered) {
      console.error("stability-ai: contentFiltered (finish_reason CONTENT_FILTERED)");
      return 1;
    }
    if (result.errored) {
      console.error("stability-ai: errored (finish_reason ERROR)");
      return 1;
    }
    fs.copyFileSync(result.filepath, `${output}.partial`);
    fs.renameSync(`${output}.partial`, output);
    return 0;
  } finally {
    fs.rmSync(result.filepath, { force: true });
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`stability-ai: ${error.name}: ${error.message}`);
    process.exit(1);
  },
);
