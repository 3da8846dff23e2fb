// Token and cost accounting for a run, and the run's LLM budget.
//
//   LlmClient ──AccountedLlm (decorator)──▶ the same interface; every reply's usage goes to the
//   Ledger (per call, per agent, per run), priced when the model has a price; a call made after
//   the budget is spent fails with LlmErrorKind::kBudget before reaching the provider.
//
// The workflows ask Ledger::BudgetExhausted between steps, so a run stops cleanly with what it
// has; the totals go to the final table and report.json.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "env/clock.h"
#include "llm/llm.h"
#include "llm/model_spec.h"
#include "llm/settings.h"

namespace akg {

struct CallRecord {
  std::string agent;
  std::string model;  // settings name of the model
  TokenUsage usage;
  double cost = 0;    // 0 without a price
  double seconds = 0;
  int attempts = 1;
  bool ok = true;
};

struct AgentTotals {
  int calls = 0;
  int failed_calls = 0;
  TokenUsage usage;
  double cost = 0;
  double seconds = 0;
};

class Ledger {
 public:
  Ledger(Clock* clock, LlmBudget budget);
  // `priced` = the call's model has a price; any unpriced call makes the run's cost unknown.
  void Record(const CallRecord& call, bool priced);
  // True once any budget is reached; `why` gets one line ("token budget of 1000 reached (1042
  // used)").
  bool BudgetExhausted(std::string* why) const;
  AgentTotals Totals() const;
  std::map<std::string, AgentTotals> ByAgent() const;
  bool priced() const;  // every recorded call had a price
  Json ToJson() const;  // {"calls", "input_tokens", "output_tokens", "cost", "by_agent", "budget"}

 private:
  Clock* clock_;
  LlmBudget budget_;
  double start_s_;
  mutable std::mutex mutex_;
  std::vector<CallRecord> calls_;
  bool all_priced_ = true;
};

// Wraps a client: checks the budget first, records usage and cost after.
class AccountedLlm : public LlmClient {
 public:
  AccountedLlm(std::shared_ptr<LlmClient> inner, const ModelSpec& spec, Ledger* ledger);
  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind) override;
  std::string Describe() const override { return inner_->Describe(); }

 private:
  std::shared_ptr<LlmClient> inner_;
  std::string model_name_;
  std::optional<Price> price_;
  Ledger* ledger_;
};

}  // namespace akg
