#include "fakes/fake_transport.h"

namespace ecssd::fakes {

aws::HttpResponse xml_response(unsigned status, std::string body) {
  aws::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/xml");
  r.body = std::move(body);
  return r;
}

void FakeTransport::push(unsigned status, std::string body) { push(xml_response(status, std::move(body))); }

common::Task<common::Result<aws::HttpResponse>> FakeTransport::call(const aws::ServiceEndpoint& endpoint,
                                                                    aws::HttpRequest req) {
  endpoints_.push_back(endpoint);
  requests_.push_back(req);
  if (!script_.empty()) {
    auto answer = std::move(script_.front());
    script_.pop_front();
    co_return answer;
  }
  if (handler_) co_return handler_(requests_.back());
  co_return common::make_error(common::ErrorCode::kInternal, "FakeTransport: no answer scripted for " + req.url);
}

}  // namespace ecssd::fakes
