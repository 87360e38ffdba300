// fixtures.mjs - the workload of tests/integration/test_stream_thirdparty:
// openai-chat payload lines, the aimock fixture file that answers them, and
// what aimock will send for each, so the test knows the right answer.
//
//   node fixtures.mjs WORKLOAD N CHUNK DIR
//
// From the first N texts of WORKLOAD (tailgate's workload/requests.jsonl)
// writes into DIR:
//   chat.jsonl        payload k asks "[req k] <text k>" of model aimock-llm,
//                     streaming, with stream_options.include_usage;
//   chat-nousage.jsonl the same without stream_options (no usage chunk);
//   chat-plain.jsonl  the same with "stream": false (one JSON response);
//   astral.jsonl      one payload whose answer has emoji (outside the BMP)
//                     where aimock's chunking (in UTF-16 code units) splits
//                     them into lone surrogates;
//   nomatch.jsonl     one payload no fixture matches (aimock answers 404);
//   truncated.jsonl   one payload whose stream aimock cuts after 3 chunks
//                     (it destroys the socket: no [DONE], no last HTTP chunk);
//   fixtures.json     one fixture per payload: userMessage "[req k] "
//                     (aimock matches substrings, first fixture first, so the
//                     markers are unique) answered by reply k;
//   expected.json     per request_id: the reply text, the content events
//                     aimock sends (ceil(UTF-16 length / CHUNK)), and the
//                     completion_tokens its usage chunk claims
//                     (max(1, ceil(UTF-16 length / 4)), its estimate).
// Reply k is deterministic and varies in length; it mixes ASCII, accented
// Latin, Cyrillic, CJK, quotes and a backslash, all inside the BMP.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [workload, nArg, chunkArg, dir] = process.argv.slice(2);
const n = Number(nArg), chunk = Number(chunkArg);
if (!workload || !(n > 0) || !(chunk > 0) || !dir) {
  console.error("usage: node fixtures.mjs WORKLOAD N CHUNK DIR");
  process.exit(2);
}
const MODEL = "aimock-llm";
const texts = readFileSync(workload, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).input);
if (texts.length < n) {
  console.error(`${workload} has ${texts.length} texts, fewer than ${n}`);
  process.exit(2);
}

const SPICE = ["naïve café", "Grüße", "привет", "東京の推論", "«quoted» \"double\"", "back\\slash", "œuvre ½"];
function reply(k, text) {
  const words = text.split(/\s+/).filter(Boolean);
  const take = 4 + ((k * 7) % 23);
  const picked = words.slice(k % 5, k % 5 + take).reverse();
  return `Answer ${k}: ${picked.join(" ")} — ${SPICE[k % SPICE.length]}, ${SPICE[(k * 3 + 1) % SPICE.length]}.`;
}

const chat = [], nousage = [], plain = [], fixtures = [], expected = {};
for (let k = 0; k < n; k++) {
  const marker = `[req ${k}] `;
  const content = reply(k, texts[k]);
  const body = { model: MODEL, messages: [{ role: "user", content: marker + texts[k] }], stream: true };
  chat.push(JSON.stringify({ ...body, stream_options: { include_usage: true } }));
  nousage.push(JSON.stringify(body));
  plain.push(JSON.stringify({ ...body, stream: false }));
  fixtures.push({ match: { userMessage: marker }, response: { content } });
  expected[k] = {
    text: content,
    content_events: Math.ceil(content.length / chunk),
    usage_completion_tokens: Math.max(1, Math.ceil(content.length / 4)),
  };
}
// The astral case: U+1F600 at UTF-16 offset chunk-1 straddles the first
// chunk boundary, U+1F680 a later one.
const astral = `${"a".repeat(chunk - 1)}😀 then ${"b".repeat(chunk)}🚀 end`;
fixtures.push({ match: { userMessage: "[astral] " }, response: { content: astral } });
fixtures.push({ match: { userMessage: "[truncated] " }, response: { content: "x".repeat(chunk * 10) },
  truncateAfterChunks: 3 });
const astralBody = { model: MODEL, messages: [{ role: "user", content: "[astral] emoji" }], stream: true };

writeFileSync(join(dir, "chat.jsonl"), chat.join("\n") + "\n");
writeFileSync(join(dir, "chat-nousage.jsonl"), nousage.join("\n") + "\n");
writeFileSync(join(dir, "chat-plain.jsonl"), plain.join("\n") + "\n");
writeFileSync(join(dir, "nomatch.jsonl"), JSON.stringify({ ...astralBody, messages: [{ role: "user", content: "[nomatch]" }] }) + "\n");
writeFileSync(join(dir, "truncated.jsonl"), JSON.stringify({ ...astralBody, messages: [{ role: "user", content: "[truncated] cut" }] }) + "\n");
writeFileSync(join(dir, "astral.jsonl"), JSON.stringify(astralBody) + "\n");
writeFileSync(join(dir, "fixtures.json"), JSON.stringify({ fixtures }, null, 1) + "\n");
writeFileSync(join(dir, "expected.json"), JSON.stringify({ chunk, requests: expected, astral }) + "\n");
