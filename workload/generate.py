#!/usr/bin/env python3
"""Regenerates workload/requests.jsonl and workload/requests-<api>.jsonl byte for byte.

400 distinct inputs for the example-model embedding endpoint, of the kinds an
embedding service sees: search queries (a few words), support tickets and
product reviews (a sentence or three), and document passages (up to a few
hundred words).  Deterministic: a fixed seed and Python's own Mersenne
Twister, whose output is stable across Python 3 versions for random.Random
with an int seed.

The same 400 texts, in the same order, are written as single-input request
bodies of every dialect (docs/api.md): line i of every file carries text i, so
output i is the same vector whichever embedding API sends it.  The generative
dialects (openai-chat, openai-completions) send text i as the prompt of a
streaming request, with include_usage, to the placeholder LLM "example-llm";
max_tokens M of line i is drawn from 16, 32, 64, 128 (weights 2:4:3:1, mean
about 46 tokens) by a second generator seeded SEED + 1, so the texts stay those
of the other files.

    tailgate           {"model":"example-model","input":T}       requests.jsonl
    openai-embeddings  {"model":"example-model","input":T}       requests-openai-embeddings.jsonl
    tei                {"inputs":T}                              requests-tei.jsonl
    kserve-v2          {"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":[T]}]}
                                                                 requests-kserve-v2.jsonl
    tfserving          {"instances":[T]}                         requests-tfserving.jsonl
    openai-chat        {"model":"example-llm","messages":[{"role":"user","content":T}],
                        "max_tokens":M,"stream":true,"stream_options":{"include_usage":true}}
                                                                 requests-openai-chat.jsonl
    openai-completions {"model":"example-llm","prompt":T,"max_tokens":M,"stream":true,
                        "stream_options":{"include_usage":true}} requests-openai-completions.jsonl

JSON is compact (separators "," and ":") with ensure_ascii=False, as
requests.jsonl always was; one body per line, "\n" after every line.

    /usr/bin/python3 workload/generate.py > workload/requests.jsonl
    /usr/bin/python3 workload/generate.py --api tei > workload/requests-tei.jsonl
    /usr/bin/python3 workload/generate.py --all [--dir DIR]   # every file above into DIR
                                                              # (default: workload/)
"""

import argparse
import json
import os
import random
import sys

SEED = 20261123
COUNT = 400

PRODUCTS = ["wireless earbuds", "standing desk", "espresso machine", "trail running shoes",
            "mechanical keyboard", "air purifier", "robot vacuum", "4K monitor",
            "camping tent", "electric toothbrush", "smart thermostat", "yoga mat",
            "cast iron skillet", "noise cancelling headphones", "e-reader", "backpack",
            "office chair", "portable charger", "dash cam", "bike helmet"]
QUALITIES = ["cheap", "durable", "lightweight", "quiet", "waterproof", "compact",
             "energy efficient", "ergonomic", "best rated", "refurbished"]
ISSUES = ["was charged twice for my order", "cannot reset my password",
          "the package arrived damaged", "my refund has not arrived after two weeks",
          "the app crashes when I open settings", "the tracking number does not work",
          "I received the wrong size", "the invoice shows the wrong address",
          "my subscription renewed without notice", "two-factor codes never arrive"]
TOPICS = ["gradient descent", "vector databases", "transformer attention", "tail latency",
          "batch inference", "connection pooling", "cache eviction", "consensus protocols",
          "load balancing", "index compression", "query planning", "rate limiting"]
VERBS = ["reduces", "increases", "hides", "exposes", "amortises", "bounds", "dominates",
         "shifts", "explains", "predicts"]
OBJECTS = ["the p99 latency", "memory bandwidth", "the queueing delay", "throughput",
           "the cost per request", "cold-start time", "the error budget", "GPU utilisation",
           "the retry rate", "recall at ten"]
CONNECTIVES = ["In practice,", "As a result,", "However,", "For example,", "In our tests,",
               "Under load,", "At small batch sizes,", "Without a warm cache,"]


def query(rng):
    forms = [
        lambda: f"{rng.choice(QUALITIES)} {rng.choice(PRODUCTS)}",
        lambda: f"{rng.choice(PRODUCTS)} under {rng.randint(2, 40) * 10} dollars",
        lambda: f"how does {rng.choice(TOPICS)} affect {rng.choice(OBJECTS)}",
        lambda: f"{rng.choice(PRODUCTS)} vs {rng.choice(PRODUCTS)}",
    ]
    return rng.choice(forms)()


def ticket(rng):
    first = f"Hi, I {rng.choice(ISSUES)}."
    extra = [f"Order number {rng.randint(100000, 999999)}.",
             f"I already tried {rng.choice(['logging out', 'another browser', 'the mobile app', 'clearing the cache'])}.",
             f"This is the {rng.choice(['second', 'third', 'fourth'])} time I am writing about it.",
             "Please advise.", "Thanks in advance."]
    rng.shuffle(extra)
    return " ".join([first] + extra[:rng.randint(1, 4)])


def review(rng):
    stars = rng.randint(1, 5)
    p = rng.choice(PRODUCTS)
    good = rng.choice(["works as described", "feels solid", "was easy to set up",
                       "battery lasts for days", "is much quieter than my old one"])
    bad = rng.choice(["the manual is useless", "shipping took forever",
                      "it stopped working after a month", "the colour is off",
                      "customer service never replied"])
    return f"{stars} stars. The {p} {good}, but {bad}."


def sentence(rng):
    return (f"{rng.choice(CONNECTIVES)} {rng.choice(TOPICS)} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)} by {rng.randint(2, 95)} percent when "
            f"{rng.choice(TOPICS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}.")


def passage(rng, words):
    out = []
    while sum(len(s.split()) for s in out) < words:
        out.append(sentence(rng))
    return " ".join(out)


def texts():
    """The COUNT distinct texts, in file order."""
    rng = random.Random(SEED)
    seen = set()
    out = []
    while len(out) < COUNT:
        kind = rng.random()
        if kind < 0.30:
            text = query(rng)
        elif kind < 0.50:
            text = ticket(rng)
        elif kind < 0.65:
            text = review(rng)
        else:
            text = passage(rng, rng.choice([40, 80, 150, 250, 350]))
        if text in seen:
            continue
        seen.add(text)
        out.append(text)
    return out


MODEL = "example-model"
LLM = "example-llm"
STREAM = {"stream": True, "stream_options": {"include_usage": True}}


def max_tokens(count):
    """max_tokens of each line, from its own generator (the texts' is untouched)."""
    rng = random.Random(SEED + 1)
    return [rng.choices([16, 32, 64, 128], weights=[2, 4, 3, 1])[0] for _ in range(count)]


# One single-input body per dialect (docs/api.md), of text t and max_tokens m.
BODIES = {
    "tailgate": lambda t, m: {"model": MODEL, "input": t},
    "openai-embeddings": lambda t, m: {"model": MODEL, "input": t},
    "tei": lambda t, m: {"inputs": t},
    "kserve-v2": lambda t, m: {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES",
                                           "data": [t]}]},
    "tfserving": lambda t, m: {"instances": [t]},
    "openai-chat": lambda t, m: {"model": LLM, "messages": [{"role": "user", "content": t}],
                                 "max_tokens": m, **STREAM},
    "openai-completions": lambda t, m: {"model": LLM, "prompt": t, "max_tokens": m, **STREAM},
}


def file_name(api):
    return "requests.jsonl" if api == "tailgate" else f"requests-{api}.jsonl"


def render(api, items):
    body = BODIES[api]
    return "".join(json.dumps(body(t, m), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for t, m in zip(items, max_tokens(len(items))))


def main():
    ap = argparse.ArgumentParser(description="Writes the workload payload files.")
    ap.add_argument("--api", choices=list(BODIES), default="tailgate",
                    help="write this dialect's file to stdout (default tailgate: requests.jsonl)")
    ap.add_argument("--all", action="store_true", help="write every dialect's file into --dir")
    ap.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)),
                    help="directory for --all (default: this script's directory, workload/)")
    args = ap.parse_args()
    items = texts()
    if not args.all:
        sys.stdout.write(render(args.api, items))
        return 0
    for api in BODIES:
        path = os.path.join(args.dir, file_name(api))
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(render(api, items))
        os.replace(tmp, path)
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
