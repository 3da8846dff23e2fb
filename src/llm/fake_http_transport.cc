#include "llm/fake_http_transport.h"

namespace akg {

void FakeHttpTransport::Push(FakeHttpReply reply) {
  std::lock_guard<std::mutex> lock(mutex_);
  script_.push_back(std::move(reply));
}

void FakeHttpTransport::PushBody(int status, std::string body,
                                 std::map<std::string, std::string> headers) {
  FakeHttpReply reply;
  reply.status = status;
  reply.headers = std::move(headers);
  reply.chunks.push_back(std::move(body));
  Push(std::move(reply));
}

HttpResponse FakeHttpTransport::Post(const HttpRequest& request, const HttpSink& sink) {
  FakeHttpReply reply;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
    if (script_.empty()) {
      HttpResponse none;
      none.error = TransportError::kNetwork;
      none.error_message = "fake transport: no scripted reply left";
      return none;
    }
    reply = std::move(script_.front());
    script_.pop_front();
  }
  HttpResponse response;
  response.status = reply.status;
  response.headers = reply.headers;
  bool success = reply.status >= 200 && reply.status < 300;
  for (const std::string& chunk : reply.chunks) {
    if (!success) {
      response.error_body += chunk;
    } else if (!sink(chunk)) {
      response.error = TransportError::kAborted;
      response.error_message = "aborted by the receiver";
      return response;
    }
  }
  response.error = reply.error;
  response.error_message = reply.error_message;
  return response;
}

std::vector<HttpRequest> FakeHttpTransport::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t FakeHttpTransport::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return script_.size();
}

}  // namespace akg
