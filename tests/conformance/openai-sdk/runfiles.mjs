// runfiles.mjs - reads what `tailgate run` wrote, for the conformance
// scripts: requests.csv (RFC 4180 quoting), the --save-outputs JSON lines,
// payload files, and the canonical text tailgate hashes for a generated text.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

// requests.csv as an array of row objects keyed by the header's names.
export function readCsv(path) {
  const text = readFileSync(path, "utf8");
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
    else if (c !== "\r") field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, k) => [h, r[k]])));
}

// The rows of requests.csv by request_id (a Map from number to row).
export function csvById(path) {
  return new Map(readCsv(path).map((r) => [Number(r.request_id), r]));
}

// The --save-outputs file: request_id -> the output's value (for the
// generative dialects, the generated text as a JS string).
export function savedOutputs(path) {
  const m = new Map();
  for (const l of readFileSync(path, "utf8").split("\n")) {
    if (!l) continue;
    const o = JSON.parse(l);
    m.set(o.request_id, o.output);
  }
  return m;
}

// Payload lines (JSON objects) of a JSON-lines file.
export function payloads(path) {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

// The canonical text tailgate hashes for a generated text: the JSON string
// as jansson writes it (JSON.stringify's escapes, but \u00XX in upper case).
export function canonText(s) {
  return JSON.stringify(s).replace(/\\\\|\\u([0-9a-f]{4})/g,
    (m, hex) => (hex === undefined ? m : `\\u${hex.toUpperCase()}`));
}

export function sha256(s) {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

// Where two strings first differ, for a failure message.
export function firstDiff(a, b) {
  if (typeof a !== "string" || typeof b !== "string") return `${typeof a} vs ${typeof b}`;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return "equal";
  const ctx = (s) => JSON.stringify(s.slice(Math.max(0, i - 12), i + 24));
  return `lengths ${a.length} and ${b.length}, first difference at [${i}]: ${ctx(a)} vs ${ctx(b)}`;
}

// check(name, ok, ...detail) printing "ok   NAME" / "FAIL NAME" with detail
// lines, and the closing "N passed, N failed" line.
export function checker() {
  let passed = 0, failed = 0;
  const check = (name, ok, ...detail) => {
    if (ok) { passed++; console.log(`ok   ${name}`); return ok; }
    failed++;
    console.log(`FAIL ${name}`);
    for (const d of detail) console.log(`     ${typeof d === "string" ? d : JSON.stringify(d)}`);
    return ok;
  };
  const done = () => {
    console.log(`${passed} passed, ${failed} failed`);
    return failed;
  };
  return { check, done };
}
