// embeddings.mjs - the official openai npm SDK (pinned in package-lock.json)
// against an openai-embeddings endpoint, normally `tailgate serve`:
//
//   node embeddings.mjs BASE_URL [WORKLOAD]
//
// BASE_URL is the server's root (http://127.0.0.1:PORT); the SDK gets
// BASE_URL/v1 and a dummy API key.  WORKLOAD (default: the repository's
// workload/requests.jsonl) gives the texts.  Checks, each printed as
// "ok   NAME" or "FAIL NAME" with both sides:
//   - a string input and an array of 3, with the SDK's default encoding
//     (it asks for base64 and decodes little-endian float32) and with
//     encoding_format "float": the same float32 vectors either way;
//   - the response shape (object "list", data[k].object "embedding",
//     data[k].index = k, model, usage) and the order of a batch: vector k of
//     the array is the vector of text k sent alone;
//   - the same vector as the tailgate dialect's POST /v1/infer for the same
//     text (8-decimal JSON numbers, compared as float32);
//   - an unknown model is an APIError with status 404 and a message.
// Ends with "N passed, N failed"; exit 0 iff nothing failed.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.argv[2] || "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(base)) {
  console.error("usage: node embeddings.mjs BASE_URL [WORKLOAD]");
  process.exit(2);
}
const workload = process.argv[3] || process.env.TG_WORKLOAD ||
  join(process.env.TG_ROOT || join(here, "..", "..", ".."), "workload", "requests.jsonl");
const texts = readFileSync(workload, "utf8").split("\n").filter(Boolean)
  .slice(0, 3).map((l) => JSON.parse(l).input);
const MODEL = "example-model";
const DIM = 768;

let passed = 0, failed = 0;
function check(name, ok, ...detail) {
  if (ok) { passed++; console.log(`ok   ${name}`); return; }
  failed++;
  console.log(`FAIL ${name}`);
  for (const d of detail) console.log(`     ${typeof d === "string" ? d : JSON.stringify(d)}`);
}

// First index where a and b differ as float32, -1 when equal (same length).
function f32diff(a, b) {
  if (!a || !b || a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (Math.fround(a[i]) !== Math.fround(b[i])) return i;
  return -1;
}
function checkSame(name, a, b) {
  const i = f32diff(a, b);
  check(name, i < 0, i < 0 ? "" : `lengths ${a?.length} and ${b?.length}; first difference at [${i}]: ` +
    `${a?.[i]} vs ${b?.[i]}`);
}
function isVector(v) {
  return Array.isArray(v) && v.length === DIM && v.every((x) => typeof x === "number" && Number.isFinite(x));
}

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "dummy", maxRetries: 0, timeout: 15000 });

// One step: runs fn, or records its failure (a thrown error is a failed check).
async function step(name, fn) {
  try { return await fn(); } catch (e) {
    check(name, false, `${e.constructor.name}: ${e.status ?? ""} ${e.message}`);
    return undefined;
  }
}

function checkShape(label, r, n) {
  check(`${label}: object "list", model "${MODEL}", ${n} data entries`,
    r && r.object === "list" && r.model === MODEL && Array.isArray(r.data) && r.data.length === n,
    { object: r?.object, model: r?.model, entries: r?.data?.length });
  const entries = r?.data ?? [];
  check(`${label}: data[k].object "embedding", data[k].index = k`,
    entries.length === n && entries.every((d, k) => d.object === "embedding" && d.index === k),
    entries.map((d) => ({ object: d.object, index: d.index })));
  check(`${label}: every embedding is ${DIM} finite numbers`, entries.every((d) => isVector(d.embedding)),
    entries.map((d) => `${typeof d.embedding} of length ${d.embedding?.length}`).join(", "));
  check(`${label}: usage.prompt_tokens and usage.total_tokens are numbers`,
    typeof r?.usage?.prompt_tokens === "number" && typeof r?.usage?.total_tokens === "number",
    { usage: r?.usage });
}

async function main() {
  // A string input, SDK default (base64) and float.
  const one64 = await step("string input, default encoding", () =>
    client.embeddings.create({ model: MODEL, input: texts[0] }));
  checkShape("string input, default (base64) encoding", one64, 1);
  const oneF = await step("string input, float", () =>
    client.embeddings.create({ model: MODEL, input: texts[0], encoding_format: "float" }));
  checkShape('string input, encoding_format "float"', oneF, 1);
  checkSame("string input: base64 and float give the same float32 vector",
    one64?.data?.[0]?.embedding, oneF?.data?.[0]?.embedding);

  // The SDK's default really went through base64 on the wire.
  const raw = await step("raw default-encoding response", async () =>
    (await client.embeddings.create({ model: MODEL, input: texts[0] }).asResponse()).json());
  const rawEmb = raw?.data?.[0]?.embedding;
  check("default encoding: the server answered base64 (4 bytes per value)",
    typeof rawEmb === "string" && Buffer.from(rawEmb, "base64").length === 4 * DIM,
    `embedding is ${typeof rawEmb}${typeof rawEmb === "string" ? ` of ${Buffer.from(rawEmb, "base64").length} bytes` : ""}`);

  // An array of 3 strings, both encodings; order against the texts sent alone.
  const three64 = await step("array of 3, default encoding", () =>
    client.embeddings.create({ model: MODEL, input: texts }));
  checkShape("array of 3, default (base64) encoding", three64, 3);
  const threeF = await step("array of 3, float", () =>
    client.embeddings.create({ model: MODEL, input: texts, encoding_format: "float" }));
  checkShape('array of 3, encoding_format "float"', threeF, 3);
  const alone = [];
  for (let k = 0; k < texts.length; k++) {
    const r = await step(`text ${k} alone`, () =>
      client.embeddings.create({ model: MODEL, input: texts[k], encoding_format: "float" }));
    alone.push(r?.data?.[0]?.embedding);
    checkSame(`array of 3: vector ${k} (base64) = vector ${k} (float)`,
      three64?.data?.[k]?.embedding, threeF?.data?.[k]?.embedding);
    checkSame(`array of 3: vector ${k} = text ${k} sent alone (index order)`,
      threeF?.data?.[k]?.embedding, alone[k]);
  }
  const distinct = alone.length === 3 && f32diff(alone[0], alone[1]) >= 0 && f32diff(alone[1], alone[2]) >= 0;
  check("the 3 texts have distinct vectors (so the order check means something)", distinct);

  // The same vector as the tailgate dialect's /v1/infer.
  for (let k = 0; k < texts.length; k++) {
    const t = await step(`POST /v1/infer text ${k}`, async () => {
      const res = await fetch(`${base}/v1/infer`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: MODEL, input: texts[k] }), signal: AbortSignal.timeout(15000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return res.json();
    });
    checkSame(`text ${k}: the SDK's vector = /v1/infer's output (float32)`,
      alone[k], t?.output);
  }

  // Errors come back as the SDK's APIError with the server's status.
  try {
    await client.embeddings.create({ model: "no-such-model", input: texts[0] });
    check("unknown model: the SDK throws an APIError 404 with a message", false, "it resolved");
  } catch (e) {
    check("unknown model: the SDK throws an APIError 404 with a message",
      e instanceof OpenAI.APIError && e.status === 404 && typeof e.message === "string" && e.message.length > 4,
      `${e.constructor.name} status ${e.status}: ${e.message}`);
  }
}

await main().catch((e) => check("conformance script ran to the end", false, String(e?.stack || e)));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
