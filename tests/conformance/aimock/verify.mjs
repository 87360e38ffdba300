// verify.mjs - checks one `tailgate run --api openai-chat` against aimock
// (tests/integration/test_stream_thirdparty) with what fixtures.mjs says
// aimock sent:
//
//   node verify.mjs LABEL EXPECTED RUN_DIR OUTPUTS usage|events|plain [JOURNAL]
//   node verify.mjs --same-hashes LABEL RUN_DIR_A RUN_DIR_B
//   node verify.mjs --astral LABEL EXPECTED RUN_DIR OUTPUTS REF_RUN_DIR
//   node verify.mjs --error LABEL RUN_DIR STATUS TEXT
//
// One run: every input ok (HTTP 200), summary.json's "stream" section with
// ttft_ms / tpot_ms / itl_ms statistics and output_tokens; the CSV's
// output_tokens add up to stream.output_tokens.total; per row: content_events
// = the chunks with content aimock sent (> 0), output_tokens = aimock's usage
// claim with tokens_source "usage" (or = content_events with "events" when the
// payloads asked for no usage), ttft_ms <= latency_ms, and the saved output
// and output_hash are exactly the fixture's reply.  plain (payloads with
// "stream": false): the rows, the saved outputs and the hashes only.
// JOURNAL (aimock's GET /__aimock/journal): every row's x_request_id
// reached the server.  With AIMOCK_LATENCY_MS set (aimock's --latency, the
// pause before every chunk), stream.itl_ms.p50 >= half of it: the events were
// timed as they came, not after the whole body.
// --same-hashes: both runs have the same output_hash for every request_id.
// --astral: the one input whose emoji aimock split into lone surrogates is
// either ok with exactly the reply, or failed with a reason (never ok with
// another text); says which.  A failure counts only when REF_RUN_DIR (a
// streamed run of ordinary replies) has every input ok: else streaming as a
// whole is broken and the failure says nothing about surrogates.
// --error: the run's one input failed with HTTP STATUS and an error_detail
// holding TEXT (the server's own message, as tailgate read it); STATUS
// "any" takes any status, TEXT "" asks only for some reason (printed).
// Prints "ok"/"FAIL" lines and "N passed, N failed"; exit 0 iff none failed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canonText, checker, csvById, firstDiff, savedOutputs, sha256 } from "../openai-sdk/runfiles.mjs";

const { check, done } = checker();
const args = process.argv.slice(2);

function readJson(path) {
  try { return JSON.parse(readFileSync(path, "utf8")); } catch (e) { return { __error: String(e.message) }; }
}
// Rows where pred fails, as "request_id: detail" (the first few).
function bad(rows, pred, show) {
  const out = [];
  for (const [k, r] of rows) if (!pred(k, r)) out.push(`request_id ${k}: ${show(k, r)}`);
  return out.slice(0, 5);
}

function sameHashes(label, a, b) {
  const ra = csvById(join(a, "requests.csv")), rb = csvById(join(b, "requests.csv"));
  const diff = bad(ra, (k, r) => r.output_hash && rb.get(k)?.output_hash === r.output_hash,
    (k, r) => `${r.output_hash || "(none)"} vs ${rb.get(k)?.output_hash || "(none)"}`);
  check(`${label}: output_hash equal by request_id (${ra.size} and ${rb.size} rows)`,
    ra.size > 0 && ra.size === rb.size && diff.length === 0, ...diff);
}

function astral(label, expectedPath, dir, outputsPath, refDir) {
  const want = readJson(expectedPath).astral;
  const r = csvById(join(dir, "requests.csv")).get(0);
  let saved;
  try { saved = savedOutputs(outputsPath).get(0); } catch (e) { saved = undefined; }
  if (r?.ok === "1")
    check(`${label}: ok, and the text is exactly the reply`, saved === want, firstDiff(saved, want));
  else {
    const ref = [...csvById(join(refDir, "requests.csv")).values()];
    check(`${label}: the input fails with a reason (while ordinary streams are ok)`,
      r && r.ok === "0" && (r.error || r.error_detail) && ref.length > 0 && ref.every((x) => x.ok === "1"),
      r ? `ok ${r.ok}, error "${r.error}", error_detail "${r.error_detail}"` : "no row",
      `${refDir}: ${ref.filter((x) => x.ok === "1").length} of ${ref.length} ordinary streamed inputs ok`);
  }
  if (r?.ok === "0") console.log(`     (tailgate's reason: ${r.error}: ${r.error_detail})`);
}

// The checks of a streamed run.
function streamChecks(label, n, exp, rows, summary, source) {
  const st = summary.stream;
  const stat = (s) => s && ["count", "min", "mean", "p50", "p90", "p95", "p99", "max"].every((f) => typeof s[f] === "number");
  check(`${label}: summary.json has "stream" with ttft_ms, tpot_ms, itl_ms statistics and output_tokens`,
    st && stat(st.ttft_ms) && stat(st.tpot_ms) && stat(st.itl_ms) &&
      typeof st.output_tokens?.total === "number" && typeof st.output_tokens?.mean === "number",
    summary.__error ?? JSON.stringify(st ?? null).slice(0, 400));
  check(`${label}: stream.ttft_ms.count = ${n} inputs`, st?.ttft_ms?.count === n, { count: st?.ttft_ms?.count });

  let sum = 0;
  for (const r of rows.values()) sum += Number(r.output_tokens);
  check(`${label}: the CSV's output_tokens add up to stream.output_tokens.total`,
    sum === st?.output_tokens?.total, { csv_sum: sum, total: st?.output_tokens?.total });

  check(`${label}: per row content_events = aimock's content chunks (ceil(UTF-16 length / chunk)), > 0`,
    rows.size > 0 && bad(rows, (k, r) => Number(r.content_events) > 0 &&
      Number(r.content_events) === exp[k]?.content_events, () => "").length === 0,
    ...bad(rows, (k, r) => Number(r.content_events) > 0 && Number(r.content_events) === exp[k]?.content_events,
      (k, r) => `content_events ${r.content_events}, aimock sent ${exp[k]?.content_events}`));

  const tokOk = (k, r) => source === "usage"
    ? r.tokens_source === "usage" && Number(r.output_tokens) === exp[k]?.usage_completion_tokens
    : r.tokens_source === "events" && Number(r.output_tokens) === Number(r.content_events);
  check(source === "usage"
    ? `${label}: per row output_tokens = aimock's usage.completion_tokens, tokens_source "usage"`
    : `${label}: per row (no usage chunk) output_tokens = content_events, tokens_source "events"`,
    rows.size > 0 && bad(rows, tokOk, () => "").length === 0,
    ...bad(rows, tokOk, (k, r) => `output_tokens ${r.output_tokens} (${r.tokens_source}), content_events ${r.content_events}, ` +
      `aimock's usage ${exp[k]?.usage_completion_tokens}`));

  const lat = Number(process.env.AIMOCK_LATENCY_MS || 0);
  if (lat > 0)
    check(`${label}: stream.itl_ms.p50 >= ${lat / 2} ms (aimock pauses ${lat} ms before every chunk)`,
      st?.itl_ms?.p50 >= lat / 2, { itl_ms: st?.itl_ms, tpot_ms_p50: st?.tpot_ms?.p50 });

  const ttftOk = (k, r) => r.ttft_ms !== "" && Number(r.ttft_ms) >= 0 && Number(r.ttft_ms) <= Number(r.latency_ms);
  check(`${label}: per row 0 <= ttft_ms <= latency_ms`, rows.size > 0 && bad(rows, ttftOk, () => "").length === 0,
    ...bad(rows, ttftOk, (k, r) => `ttft_ms ${r.ttft_ms}, latency_ms ${r.latency_ms}`));
}

function errorRun(label, dir, status, text) {
  const r = csvById(join(dir, "requests.csv")).get(0);
  check(text ? `${label}: the input fails with HTTP ${status} and the server's message "${text}"`
    : `${label}: the input fails with a reason`,
    r && r.ok === "0" && (status === "any" || r.status_code === status) && (r.error || r.error_detail) && (r.error_detail ?? "").includes(text),
    r ? `ok ${r.ok}, status ${r.status_code}, error "${r.error}", error_detail "${r.error_detail}"` : "no row");
  if (!text && r) console.log(`     (tailgate's reason: ${r.error}: ${r.error_detail})`);
}

function oneRun(label, expectedPath, dir, outputsPath, source, journalPath) {
  const exp = readJson(expectedPath).requests ?? {};
  const n = Object.keys(exp).length;
  const rows = csvById(join(dir, "requests.csv"));
  const summary = readJson(join(dir, "summary.json"));
  const ids = [...rows.keys()].sort((x, y) => x - y);
  check(`${label}: ${n} rows, request_id 0..${n - 1}, every one ok with HTTP 200`,
    rows.size === n && ids.every((k, i) => k === i) && [...rows.values()].every((r) => r.ok === "1" && r.status_code === "200"),
    `${rows.size} rows`, ...bad(rows, (k, r) => r.ok === "1" && r.status_code === "200",
      (k, r) => `ok ${r.ok} status ${r.status_code} ${r.error} ${r.error_detail}`));

  if (source !== "plain") streamChecks(label, n, exp, rows, summary, source);

  let saved;
  try { saved = savedOutputs(outputsPath); } catch (e) { saved = new Map(); }
  const textOk = (k) => saved.get(k) === exp[k]?.text;
  check(`${label}: every saved output is exactly aimock's reply (${saved.size} saved)`,
    saved.size === n && bad(rows, textOk, () => "").length === 0,
    ...bad(rows, textOk, (k) => firstDiff(saved.get(k), exp[k]?.text)));
  const hashOk = (k, r) => r.output_hash === sha256(canonText(exp[k]?.text ?? ""));
  check(`${label}: every output_hash is SHA-256 of the reply's canonical text`,
    rows.size > 0 && bad(rows, hashOk, () => "").length === 0,
    ...bad(rows, hashOk, (k, r) => `${r.output_hash} vs ${sha256(canonText(exp[k]?.text ?? ""))}`));

  if (journalPath) {
    const j = readJson(journalPath);
    const seen = new Set(Array.isArray(j) ? j.map((e) => e.headers?.["x-request-id"]) : []);
    const xOk = (k, r) => r.x_request_id && seen.has(r.x_request_id);
    check(`${label}: aimock's journal received every row's X-Request-Id`,
      rows.size > 0 && bad(rows, xOk, () => "").length === 0,
      j.__error ?? `${seen.size} ids in the journal`, ...bad(rows, xOk, (k, r) => `x_request_id "${r.x_request_id}" not seen`));
  }
}

if (args[0] === "--same-hashes" && args.length === 4) sameHashes(args[1], args[2], args[3]);
else if (args[0] === "--astral" && args.length === 6) astral(args[1], args[2], args[3], args[4], args[5]);
else if (args[0] === "--error" && args.length === 5) errorRun(args[1], args[2], args[3], args[4]);
else if (args.length >= 5 && ["usage", "events", "plain"].includes(args[4])) oneRun(...args);
else {
  console.error("usage: node verify.mjs LABEL EXPECTED RUN_DIR OUTPUTS usage|events|plain [JOURNAL]\n" +
    "       node verify.mjs --same-hashes LABEL RUN_DIR_A RUN_DIR_B\n" +
    "       node verify.mjs --astral LABEL EXPECTED RUN_DIR OUTPUTS REF_RUN_DIR\n" +
    "       node verify.mjs --error LABEL RUN_DIR STATUS TEXT");
  process.exit(2);
}
process.exit(done() ? 1 : 0);
