#pragma once
// A fake aws::Transport for unit tests of API clients: records every request
// and answers from a script (first in, first out), then from a handler (e.g. a
// simulated service), else with an error that fails the test visibly.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "aws/transport.h"

namespace ecssd::fakes {

class FakeTransport : public aws::Transport {
 public:
  using Handler = std::function<common::Result<aws::HttpResponse>(const aws::HttpRequest&)>;

  // Queues one answer: a response, or a transport error such as kTimeout.
  void push(common::Result<aws::HttpResponse> answer) { script_.push_back(std::move(answer)); }
  void push(unsigned status, std::string body);
  // Answers requests once the script is used up.
  void set_handler(Handler handler) { handler_ = std::move(handler); }

  const std::vector<aws::HttpRequest>& requests() const { return requests_; }
  const std::vector<aws::ServiceEndpoint>& endpoints() const { return endpoints_; }
  size_t pending() const { return script_.size(); }

  common::Task<common::Result<aws::HttpResponse>> call(const aws::ServiceEndpoint& endpoint,
                                                       aws::HttpRequest req) override;

 private:
  std::deque<common::Result<aws::HttpResponse>> script_;
  Handler handler_;
  std::vector<aws::HttpRequest> requests_;
  std::vector<aws::ServiceEndpoint> endpoints_;
};

// An XML response with the given status.
aws::HttpResponse xml_response(unsigned status, std::string body);

}  // namespace ecssd::fakes
