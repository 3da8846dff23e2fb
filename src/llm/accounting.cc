#include "llm/accounting.h"

#include <fmt/format.h>

namespace akg {

Ledger::Ledger(Clock* clock, LlmBudget budget)
    : clock_(clock), budget_(budget), start_s_(clock->NowSeconds()) {}

void Ledger::Record(const CallRecord& call, bool priced) {
  std::lock_guard<std::mutex> lock(mutex_);
  calls_.push_back(call);
  // A model without a price makes the run's cost unknown (shown as such, never as 0).
  if (!priced) all_priced_ = false;
}

namespace {

void Add(const CallRecord& c, AgentTotals* t) {
  t->calls++;
  if (!c.ok) t->failed_calls++;
  t->usage += c.usage;
  t->cost += c.cost;
  t->seconds += c.seconds;
}

}  // namespace

AgentTotals Ledger::Totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  AgentTotals t;
  for (const auto& c : calls_) Add(c, &t);
  return t;
}

std::map<std::string, AgentTotals> Ledger::ByAgent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, AgentTotals> by;
  for (const auto& c : calls_) Add(c, &by[c.agent]);
  return by;
}

bool Ledger::priced() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_priced_;
}

bool Ledger::BudgetExhausted(std::string* why) const {
  AgentTotals t = Totals();
  long long tokens = t.usage.input_tokens + t.usage.output_tokens;
  std::string reason;
  if (budget_.tokens && tokens >= *budget_.tokens) {
    reason = fmt::format("token budget of {} reached ({} used)", *budget_.tokens, tokens);
  } else if (budget_.cost && t.cost >= *budget_.cost) {
    reason = fmt::format("cost budget of {:.4f} reached ({:.4f} spent)", *budget_.cost, t.cost);
  } else if (budget_.wall_s && clock_->NowSeconds() - start_s_ >= *budget_.wall_s) {
    reason = fmt::format("wall-time budget of {:.0f} s reached", *budget_.wall_s);
  }
  if (reason.empty()) return false;
  if (why) *why = reason;
  return true;
}

Json Ledger::ToJson() const {
  AgentTotals t = Totals();
  Json by = Json::object();
  for (const auto& [agent, a] : ByAgent()) {
    by[agent] = {{"calls", a.calls},
                 {"failed_calls", a.failed_calls},
                 {"input_tokens", a.usage.input_tokens},
                 {"output_tokens", a.usage.output_tokens},
                 {"cost", a.cost},
                 {"seconds", a.seconds}};
  }
  Json budget = Json::object();
  if (budget_.tokens) budget["tokens"] = *budget_.tokens;
  if (budget_.cost) budget["cost"] = *budget_.cost;
  if (budget_.wall_s) budget["wall_s"] = *budget_.wall_s;
  std::string why;
  bool exhausted = BudgetExhausted(&why);
  bool priced_all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    priced_all = all_priced_ && !calls_.empty();
  }
  return {{"calls", t.calls},
          {"failed_calls", t.failed_calls},
          {"input_tokens", t.usage.input_tokens},
          {"output_tokens", t.usage.output_tokens},
          {"cost", priced_all ? Json(t.cost) : Json(nullptr)},
          {"seconds", t.seconds},
          {"by_agent", by},
          {"budget", budget},
          {"budget_exhausted", exhausted ? Json(why) : Json(nullptr)}};
}

AccountedLlm::AccountedLlm(std::shared_ptr<LlmClient> inner, const ModelSpec& spec, Ledger* ledger)
    : inner_(std::move(inner)), model_name_(spec.name), price_(spec.price), ledger_(ledger) {}

Result<LlmReply> AccountedLlm::Complete(const LlmRequest& request, LlmErrorKind* error_kind) {
  std::string why;
  if (ledger_->BudgetExhausted(&why)) {
    if (error_kind) *error_kind = LlmErrorKind::kBudget;
    return InternalError("LLM budget spent: " + why + "; raise 'budget' in .akg/settings.yaml");
  }
  LlmErrorKind kind = LlmErrorKind::kNone;
  auto reply = inner_->Complete(request, &kind);
  if (error_kind) *error_kind = kind;
  CallRecord rec;
  rec.agent = request.agent;
  rec.model = model_name_;
  rec.ok = reply.ok();
  if (reply.ok()) {
    rec.usage = reply->usage;
    rec.seconds = reply->seconds;
    rec.attempts = reply->attempts;
    if (price_) {
      rec.cost = (rec.usage.input_tokens * price_->input_per_mtok +
                  rec.usage.output_tokens * price_->output_per_mtok) / 1e6;
    }
  }
  ledger_->Record(rec, /*priced=*/price_.has_value());
  return reply;
}

}  // namespace akg
