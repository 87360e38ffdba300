// chat.mjs - the official openai npm SDK (pinned in package-lock.json)
// streams from `tailgate serve`'s placeholder LLM and is compared with what
// `tailgate run` measured and hashed for the very same payloads:
//
//   node chat.mjs BASE_URL CHAT_PAYLOADS CHAT_CSV CHAT_OUTPUTS \
//                          COMPL_PAYLOADS COMPL_CSV COMPL_OUTPUTS
//
// CHAT_PAYLOADS are openai-chat bodies (line k is request_id k of the run),
// CHAT_CSV and CHAT_OUTPUTS the requests.csv and --save-outputs file of
// `tailgate run --api openai-chat` over them; likewise COMPL_* for
// openai-completions.  Checks, each printed "ok   NAME" / "FAIL NAME" with
// both sides:
//   - per chat payload, `chat.completions.create({...payload, stream: true,
//     stream_options: {include_usage: true}})`: the text the SDK's chunks
//     reassemble is exactly tailgate's saved output for that request_id, and
//     SHA-256 of its canonical form is the CSV's output_hash;
//     usage.completion_tokens = the number of chunks with content = the CSV's
//     content_events, and the CSV's output_tokens with tokens_source "usage";
//     the chunks' shape (object, one id, model, role first, a finish_reason,
//     the usage chunk with no choices);
//   - the non-streaming create gives the same text, usage and finish_reason;
//   - the same for completions.create (choices[0].text), streaming and not;
//   - errors are the SDK's APIError classes: an unknown model is a
//     NotFoundError (404), a body without messages / prompt a
//     BadRequestError (400), streaming or not.
// Ends with "N passed, N failed"; exit 0 iff nothing failed.
import OpenAI from "openai";
import { canonText, checker, csvById, firstDiff, payloads, savedOutputs, sha256 } from "./runfiles.mjs";

const [baseArg, chatPayloads, chatCsv, chatOut, complPayloads, complCsv, complOut] = process.argv.slice(2);
const base = (baseArg || "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(base) || !complOut) {
  console.error("usage: node chat.mjs BASE_URL CHAT_PAYLOADS CHAT_CSV CHAT_OUTPUTS COMPL_PAYLOADS COMPL_CSV COMPL_OUTPUTS");
  process.exit(2);
}
const MODEL = "example-llm";
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "dummy", maxRetries: 0, timeout: 60000 });
const { check, done } = checker();

function errText(e) {
  return `${e?.constructor?.name}: ${e?.status ?? ""} ${e?.message ?? e}`;
}

// Streams one request through the SDK; returns what the chunks said.
// content(chunk) is the chunk's text for choice 0 ("" when none).
async function collect(stream, content) {
  const r = { text: "", contentChunks: 0, chunks: [], usage: null, finish: null };
  for await (const chunk of stream) {
    r.chunks.push(chunk);
    const t = content(chunk);
    if (typeof t === "string" && t.length > 0) { r.text += t; r.contentChunks++; }
    const fr = chunk.choices?.[0]?.finish_reason;
    if (fr) r.finish = fr;
    if (chunk.usage) r.usage = chunk.usage;
  }
  return r;
}

// The checks shared by both routes, against tailgate's row and saved output.
function compareWithTailgate(label, k, s, row, saved) {
  check(`${label}: the SDK's reassembled text = tailgate's saved output for request_id ${k}`,
    saved.has(k) && s.text === saved.get(k),
    saved.has(k) ? firstDiff(s.text, saved.get(k)) : `no saved output for request_id ${k}`);
  check(`${label}: SHA-256 of the SDK's text (canonical) = the CSV's output_hash`,
    row && row.output_hash === sha256(canonText(s.text)),
    `sdk ${sha256(canonText(s.text))}`, `csv ${row?.output_hash}`);
  check(`${label}: usage.completion_tokens = the SDK's count of chunks with content`,
    s.usage && s.usage.completion_tokens === s.contentChunks,
    { usage: s.usage, content_chunks: s.contentChunks });
  check(`${label}: the CSV's content_events = the SDK's content chunks, output_tokens = usage (tokens_source usage)`,
    row && Number(row.content_events) === s.contentChunks &&
      Number(row.output_tokens) === s.usage?.completion_tokens && row.tokens_source === "usage",
    { csv: { content_events: row?.content_events, output_tokens: row?.output_tokens, tokens_source: row?.tokens_source },
      sdk: { content_chunks: s.contentChunks, completion_tokens: s.usage?.completion_tokens } });
  check(`${label}: a finish_reason ("stop" or "length") ends the stream`,
    s.finish === "stop" || s.finish === "length", { finish_reason: s.finish });
}

function checkChunkShape(label, s, object, needsRole) {
  const ids = new Set(s.chunks.map((c) => c.id));
  check(`${label}: every chunk is a "${object}" of one id and model "${MODEL}"`,
    s.chunks.length > 0 && s.chunks.every((c) => c.object === object && c.model === MODEL) && ids.size === 1,
    { chunks: s.chunks.length, objects: [...new Set(s.chunks.map((c) => c.object))], ids: [...ids],
      models: [...new Set(s.chunks.map((c) => c.model))] });
  if (needsRole)
    check(`${label}: the first chunk carries role "assistant"`,
      s.chunks[0]?.choices?.[0]?.delta?.role === "assistant", { first: s.chunks[0] });
  const last = s.chunks[s.chunks.length - 1];
  check(`${label}: the usage chunk comes last, with an empty choices list`,
    last && last.usage && Array.isArray(last.choices) && last.choices.length === 0, { last });
}

// One payload through the SDK: streamed (with usage) and then not streamed.
// route is "chat" or "completions".  Returns { s, plain, streamErr, plainErr }.
async function fetchOne(route, p) {
  const api = route === "chat" ? client.chat.completions : client.completions;
  const content = route === "chat" ? (c) => c.choices?.[0]?.delta?.content : (c) => c.choices?.[0]?.text;
  const out = {};
  try {
    out.s = await collect(await api.create({ ...p, stream: true, stream_options: { include_usage: true } }), content);
  } catch (e) {
    out.streamErr = e;
    return out;
  }
  const { stream_options: _, ...plain } = { ...p, stream: false };
  try { out.plain = await api.create(plain); } catch (e) { out.plainErr = e; }
  return out;
}

// The checks of one payload, from what fetchOne got.
function checkOne(route, k, p, got, rows, saved) {
  const chat = route === "chat";
  const what = chat ? p.messages.at(-1)?.content : p.prompt;
  const label = `${route} ${k} (${JSON.stringify(what).slice(0, 28)}…)`;
  if (got.streamErr) {
    check(`${label}: the SDK streams the request`, false, errText(got.streamErr));
    return;
  }
  const s = got.s;
  compareWithTailgate(label, k, s, rows.get(k), saved);
  checkChunkShape(label, s, chat ? "chat.completion.chunk" : "text_completion", chat);
  if (got.plainErr) {
    check(`${label}, not streamed: the SDK's create resolves`, false, errText(got.plainErr));
    return;
  }
  const r = got.plain, object = chat ? "chat.completion" : "text_completion";
  const text = chat ? r.choices?.[0]?.message?.content : r.choices?.[0]?.text;
  check(`${label}, not streamed: object "${object}", the same text, usage and finish_reason`,
    r.object === object && text === s.text &&
      r.usage?.completion_tokens === s.usage?.completion_tokens && r.choices?.[0]?.finish_reason === s.finish,
    firstDiff(text, s.text), { object: r.object, usage: r.usage, finish_reason: r.choices?.[0]?.finish_reason },
    { streamed: { usage: s.usage, finish_reason: s.finish } });
}

// An SDK call that must reject with error class cls and HTTP status.
async function expectError(name, cls, status, fn) {
  try {
    const r = await fn();
    if (r && typeof r[Symbol.asyncIterator] === "function") for await (const _ of r);
    check(name, false, "it resolved");
  } catch (e) {
    check(name, e instanceof cls && e.status === status && typeof e.message === "string" && e.message.length > 4,
      errText(e));
  }
}

async function main() {
  const chat = payloads(chatPayloads), compl = payloads(complPayloads);
  const chatRows = csvById(chatCsv), complRows = csvById(complCsv);
  const chatSaved = savedOutputs(chatOut), complSaved = savedOutputs(complOut);
  check(`tailgate's runs have a row for every payload (chat ${chat.length}, completions ${compl.length})`,
    chatRows.size === chat.length && complRows.size === compl.length,
    { chat_rows: chatRows.size, completions_rows: complRows.size });

  // The prompts go concurrently (the placeholder batches them), each one's
  // streamed and plain calls in turn; the checks print in payload order.
  const chatGot = await Promise.all(chat.map((p) => fetchOne("chat", p)));
  chat.forEach((p, k) => checkOne("chat", k, p, chatGot[k], chatRows, chatSaved));
  const complGot = await Promise.all(compl.map((p) => fetchOne("completions", p)));
  compl.forEach((p, k) => checkOne("completions", k, p, complGot[k], complRows, complSaved));

  const msgs = [{ role: "user", content: "hello" }];
  await expectError("chat, unknown model, streamed: NotFoundError 404", OpenAI.NotFoundError, 404, () =>
    client.chat.completions.create({ model: "no-such-model", messages: msgs, stream: true }));
  await expectError("chat, unknown model: NotFoundError 404", OpenAI.NotFoundError, 404, () =>
    client.chat.completions.create({ model: "no-such-model", messages: msgs }));
  await expectError("chat, no messages, streamed: BadRequestError 400", OpenAI.BadRequestError, 400, () =>
    client.chat.completions.create({ model: MODEL, stream: true }));
  await expectError("chat, messages not a list: BadRequestError 400", OpenAI.BadRequestError, 400, () =>
    client.chat.completions.create({ model: MODEL, messages: "hello" }));
  await expectError("completions, unknown model, streamed: NotFoundError 404", OpenAI.NotFoundError, 404, () =>
    client.completions.create({ model: "no-such-model", prompt: "hello", stream: true }));
  await expectError("completions, no prompt: BadRequestError 400", OpenAI.BadRequestError, 400, () =>
    client.completions.create({ model: MODEL }));
}

await main().catch((e) => check("conformance script ran to the end", false, String(e?.stack || e)));
process.exit(done() ? 1 : 0);
