#!/usr/bin/env python3
"""Drives Keygate's `/v1` proxy with the official `openai` and `anthropic` Python SDKs.

Environment:
  KEYGATE_BASE_URL            the Keygate server, e.g. http://127.0.0.1:3000 (the proxy is at
                              $KEYGATE_BASE_URL/v1)
  KEYGATE_KEY                 a Keygate proxy key (sk-proxy-...)
  KEYGATE_ANTHROPIC_BASE_URL  optional: the Anthropic SDK's base URL (default
                              KEYGATE_BASE_URL; the SDK appends /v1/messages itself)

The upstream is expected to answer like the test fake provider ("Hello from fake").
Prints one line per check, `ok <name>` or `FAIL <name>: <error>`, and exits 1 if any
check failed. The key is never printed: it is masked in every error text.

Run it with the venv that scripts/setup.sh makes: .tools/pyenv/bin/python scripts/sdk_check.py
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Callable

EXPECTED_TEXT = "Hello from fake"
OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
TIMEOUT_SECONDS = 30.0


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def main() -> int:
    base = os.environ.get("KEYGATE_BASE_URL", "").rstrip("/")
    key = os.environ.get("KEYGATE_KEY", "")
    if not base or not key:
        print("FAIL setup: KEYGATE_BASE_URL and KEYGATE_KEY must be set")
        return 1
    anthropic_base = os.environ.get("KEYGATE_ANTHROPIC_BASE_URL", "").rstrip("/") or base

    # The SDK warns about deprecated model names; the fake upstream doesn't care.
    warnings.filterwarnings("ignore", message=r"The model .* is deprecated")
    try:
        import anthropic
        import openai
    except ImportError as e:
        print(f"FAIL setup: {e} (run scripts/setup.sh and use .tools/pyenv/bin/python)")
        return 1

    oa = openai.OpenAI(
        base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=TIMEOUT_SECONDS
    )
    an = anthropic.Anthropic(
        base_url=anthropic_base, api_key=key, max_retries=0, timeout=TIMEOUT_SECONDS
    )
    user = [{"role": "user", "content": "Say hello"}]

    def chat() -> None:
        r = oa.chat.completions.create(model=OPENAI_MODEL, messages=user)
        text = r.choices[0].message.content
        expect(text == EXPECTED_TEXT, f"content {text!r}")
        expect(r.usage is not None and r.usage.total_tokens > 0, f"usage {r.usage!r}")

    def chat_stream() -> None:
        parts: list[str] = []
        usage = None
        stream = oa.chat.completions.create(
            model=OPENAI_MODEL,
            messages=user,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
        text = "".join(parts)
        expect(text == EXPECTED_TEXT, f"streamed text {text!r}")
        expect(usage is not None and usage.total_tokens > 0, f"final usage {usage!r}")

    def responses() -> None:
        r = oa.responses.create(model=OPENAI_MODEL, input="Say hello")
        expect(r.output_text == EXPECTED_TEXT, f"output_text {r.output_text!r}")
        expect(r.usage is not None and r.usage.total_tokens > 0, f"usage {r.usage!r}")

    def responses_stream() -> None:
        parts: list[str] = []
        final = None
        stream = oa.responses.create(model=OPENAI_MODEL, input="Say hello", stream=True)
        for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
            elif event.type == "response.completed":
                final = event.response
        text = "".join(parts)
        expect(text == EXPECTED_TEXT, f"streamed text {text!r}")
        expect(final is not None, "no response.completed event")
        expect(final.output_text == EXPECTED_TEXT, f"final output_text {final.output_text!r}")
        expect(
            final.usage is not None and final.usage.total_tokens > 0,
            f"final usage {final.usage!r}",
        )

    def embeddings() -> None:
        r = oa.embeddings.create(model="text-embedding-3-small", input="hello")
        expect(len(r.data) == 1, f"{len(r.data)} embeddings")
        expect(len(r.data[0].embedding) == 3, f"vector length {len(r.data[0].embedding)}")

    def models() -> None:
        ids = [m.id for m in oa.models.list()]
        expect(len(ids) > 0, "empty model list")

    def files() -> None:
        content = b'{"custom_id":"1"}\n'
        f = oa.files.create(file=("batch.jsonl", content), purpose="batch")
        expect(f.bytes == len(content), f"uploaded bytes {f.bytes!r}")
        listed = [x.id for x in oa.files.list()]
        expect(f.id in listed, f"{f.id} not in {listed!r}")
        expect(oa.files.retrieve(f.id).filename == "batch.jsonl", "retrieved filename")
        expect(oa.files.content(f.id).read() == content, "file content")
        expect(oa.files.delete(f.id).deleted, "file not deleted")

    def messages() -> None:
        m = an.messages.create(model=ANTHROPIC_MODEL, max_tokens=64, messages=user)
        text = "".join(block.text for block in m.content if block.type == "text")
        expect(text == EXPECTED_TEXT, f"text {text!r}")
        expect(m.usage.output_tokens > 0, f"usage {m.usage!r}")

    def messages_stream() -> None:
        with an.messages.stream(
            model=ANTHROPIC_MODEL, max_tokens=64, messages=user
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        expect(text == EXPECTED_TEXT, f"streamed text {text!r}")
        expect(final.stop_reason == "end_turn", f"stop_reason {final.stop_reason!r}")
        expect(
            final.usage.input_tokens > 0 and final.usage.output_tokens > 0,
            f"final usage {final.usage!r}",
        )

    def count_tokens() -> None:
        r = an.messages.count_tokens(model=ANTHROPIC_MODEL, messages=user)
        expect(r.input_tokens > 0, f"input_tokens {r.input_tokens!r}")

    checks: list[tuple[str, Callable[[], None]]] = [
        ("openai chat.completions", chat),
        ("openai chat.completions stream", chat_stream),
        ("openai responses", responses),
        ("openai responses stream", responses_stream),
        ("openai embeddings", embeddings),
        ("openai models.list", models),
        ("openai files create/list/retrieve/content/delete", files),
        ("anthropic messages", messages),
        ("anthropic messages stream", messages_stream),
        ("anthropic messages.count_tokens", count_tokens),
    ]

    def masked(text: str) -> str:
        return text.replace(key, "<key>")

    failed = 0
    for name, check in checks:
        try:
            check()
            print(f"ok {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
            failed += 1
            detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            print(f"FAIL {name}: {masked(detail)}", flush=True)
            if os.environ.get("SDK_CHECK_TRACEBACK"):
                print(masked(traceback.format_exc()), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
