"""A loopback LLM server for end-to-end tests: speaks OpenAI Chat Completions and Anthropic
Messages (streaming and not), answers from a script, and records every request."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class LoopbackLLM:
    """`replies` are served in order; each entry is a string (the reply text) or a callable
    taking the request body (dict) and returning the text. Once the script is used up the last
    entry repeats. `fail_first` requests get HTTP 429 with Retry-After: 0 first."""

    def __init__(self, replies: list[str | Callable[[dict], str]], fail_first: int = 0):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()
        self._served = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                with outer._lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body})
                    if outer.fail_first > 0:
                        outer.fail_first -= 1
                        self._send(429, b'{"error": {"message": "slow down"}}',
                                   {"Retry-After": "0"})
                        return
                    entry = outer.replies[min(outer._served, len(outer.replies) - 1)]
                    outer._served += 1
                text = entry(body) if callable(entry) else entry
                if self.path.endswith("/chat/completions"):
                    self._openai(body, text)
                elif self.path.endswith("/v1/messages"):
                    self._anthropic(body, text)
                else:
                    self._send(404, b'{"error": {"message": "no such path"}}')

            def _send(self, status, payload, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, events):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for ev in events:
                    self.wfile.write(ev.encode())
                    self.wfile.flush()
                self.close_connection = True

            def _openai(self, body, text):
                usage = {"prompt_tokens": 1000, "completion_tokens": len(text) // 4 + 1}
                if not body.get("stream"):
                    self._send(200, json.dumps({
                        "model": body.get("model"), "usage": usage,
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}],
                    }).encode())
                    return
                events = []
                for i in range(0, len(text), 40):
                    chunk = {"model": body.get("model"),
                             "choices": [{"index": 0, "delta": {"content": text[i:i + 40]}}]}
                    events.append(f"data: {json.dumps(chunk)}\n\n")
                events.append("data: " + json.dumps({"model": body.get("model"), "choices": [
                    {"index": 0, "delta": {}, "finish_reason": "stop"}]}) + "\n\n")
                events.append("data: " + json.dumps({"model": body.get("model"), "choices": [],
                                                     "usage": usage}) + "\n\n")
                events.append("data: [DONE]\n\n")
                self._stream(events)

            def _anthropic(self, body, text):
                def ev(name, data):
                    return f"event: {name}\ndata: {json.dumps(data)}\n\n"
                events = [ev("message_start", {"type": "message_start", "message": {
                    "model": body.get("model"), "usage": {"input_tokens": 1000}}}),
                    ev("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}})]
                for i in range(0, len(text), 40):
                    events.append(ev("content_block_delta", {
                        "type": "content_block_delta", "index": 0,
                        "delta": {"type": "text_delta", "text": text[i:i + 40]}}))
                events += [ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
                           ev("message_delta", {"type": "message_delta",
                                                "delta": {"stop_reason": "end_turn"},
                                                "usage": {"output_tokens": len(text) // 4 + 1}}),
                           ev("message_stop", {"type": "message_stop"})]
                self._stream(events)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "LoopbackLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def prompts(self) -> list[str]:
        """The concatenated message texts of every request, in order."""
        out = []
        for r in self.requests:
            b = r["body"]
            parts = [b.get("system", "")] if isinstance(b.get("system"), str) else []
            for m in b.get("messages", []):
                c = m.get("content")
                parts.append(c if isinstance(c, str) else json.dumps(c))
            out.append("\n".join(parts))
        return out
