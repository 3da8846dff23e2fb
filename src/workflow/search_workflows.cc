// The evolve and adaptive_search loops over the shared machinery of search_driver.h and the
// pure search logic of src/search. Evolve works by rounds (all of a round's proposals are
// decided before any is built, and observed in id order, so completion timing never changes
// the search); adaptive_search proposes whenever a worker is free.
#include <set>

#include <fmt/format.h>

#include "search/adaptive.h"
#include "search/evolve.h"
#include "search/stop_rules.h"
#include "workflow/search_driver.h"
#include "workflow/workflow.h"

namespace akg {
namespace {

Json ProposalJson(const Proposal& p) {
  return {{"id", p.id}, {"parent", p.parent}, {"seed", std::to_string(p.seed)},
          {"island", p.island}, {"round", p.round}};
}

bool SameProposal(const Proposal& p, const Json& j) {
  return j.value("id", std::string()) == p.id && j.value("parent", std::string()) == p.parent &&
         j.value("seed", std::string()) == std::to_string(p.seed);
}

Status Diverged(const std::string& id) {
  return ConfigError("the resumed search no longer proposes " + id +
                     " as it was logged (search settings, seed or the resumed candidates "
                     "changed); resume with the same configuration, or start a new run");
}

Json EvolveSettingsJson(const SearchSettings& s) {
  return {{"rounds", s.rounds}, {"islands", s.islands}, {"population", s.population},
          {"elite", s.elite}, {"migration_interval", s.migration_interval},
          {"inspirations", s.inspirations}, {"max_candidates", s.max_candidates},
          {"seed", s.seed}};
}

Json AdaptiveSettingsJson(const SearchSettings& s) {
  return {{"ucb_c", s.ucb_c}, {"inspirations", s.inspirations},
          {"max_candidates", s.max_candidates}, {"patience", s.patience}, {"seed", s.seed}};
}

// Replays the logged calls of a resumed run; `pending` gets the proposals not yet observed.
// `propose` re-derives the next logged proposal(s) from the event; `observe` applies one.
template <typename ProposeFn, typename ObserveFn>
Status Replay(SearchDriver* d, std::map<std::string, Proposal>* pending, ProposeFn propose,
              ObserveFn observe) {
  for (const Json& e : d->LoggedEvents()) {
    if (e.contains("observe")) {
      std::string id = e["observe"].get<std::string>();
      auto rec = d->LoadCompleted(id);
      if (!rec.ok()) {
        return InternalError("the search log lists " + id + " as finished but its meta.json "
                             "cannot be read (" + rec.status().message() + "); the run folder "
                             "is damaged, start a new run");
      }
      observe(d->Complete(*rec, /*replayed=*/true));
      pending->erase(id);
    } else {
      AKG_ASSIGN_OR_RETURN(std::vector<Proposal> props, propose(e));
      for (const auto& p : props) {
        d->Remember(p);
        (*pending)[p.id] = p;
      }
    }
    AKG_RETURN_IF_ERROR(d->Log(e));
  }
  for (const auto& [id, p] : *pending) d->Submit(p);
  return Status::Ok();
}

}  // namespace

Result<WorkflowOutcome> RunEvolve(const WorkflowContext& ctx) {
  const SearchSettings& ss = ctx.config->search;
  EvolveSearch search({.rounds = ss.rounds, .islands = ss.islands, .population = ss.population,
                       .elite = ss.elite, .migration_interval = ss.migration_interval,
                       .inspirations = ss.inspirations, .seed = static_cast<uint64_t>(ss.seed)});
  SearchDriver d(ctx, "evolve", EvolveSettingsJson(ss));
  AKG_RETURN_IF_ERROR(d.Start());
  int planned = search.total_planned();
  if (ss.max_candidates > 0) planned = std::min(planned, ss.max_candidates);
  ctx.emit(PhaseEvent("evolve", fmt::format("{} islands x {} per round x {} rounds ({} candidates at most), "
                      "seed {}", ss.islands, ss.population, ss.rounds, planned, ss.seed)));
  std::map<std::string, Proposal> pending;
  auto observe = [&](const Observation& o) { search.Observe(o); };
  AKG_RETURN_IF_ERROR(Replay(&d, &pending, [&](const Json& e) -> Result<std::vector<Proposal>> {
    const Json& logged = e.at("proposals");
    auto props = search.ProposeRound(static_cast<int>(logged.size()));
    if (props.size() != logged.size()) return Diverged(logged.empty() ? "a round" : logged[0].value("id", "?"));
    for (size_t i = 0; i < props.size(); ++i) {
      if (!SameProposal(props[i], logged[i])) return Diverged(props[i].id);
    }
    return props;
  }, observe));
  for (;;) {
    if (d.outstanding() == 0) {
      if (d.stopping() || search.round_open()) break;  // a round left open: the search stopped
      if (search.done()) {
        d.Stop(fmt::format("all {} rounds done", ss.rounds));
        break;
      }
      if (d.CheckStop(ss.max_wall_s)) break;
      int limit = ss.max_candidates > 0 ? ss.max_candidates - search.proposed() : -1;
      std::vector<Proposal> round = search.ProposeRound(limit);
      if (round.empty()) {
        d.Stop(fmt::format("candidate budget reached ({} candidates, search.max_candidates)",
                           ss.max_candidates));
        break;
      }
      Json logged = Json::array();
      for (const auto& p : round) logged.push_back(ProposalJson(p));
      AKG_RETURN_IF_ERROR(d.Log({{"round", round[0].round}, {"proposals", logged}}));
      for (const auto& p : round) {
        pending[p.id] = p;
        d.Submit(p);
      }
    }
    d.ShowStatus(fmt::format("round {}/{}", search.round(), ss.rounds), planned);
    CandidateRecord c = d.WaitNext();
    if (!c.skipped && !c.interrupted) {
      search.Observe(d.Complete(c));
      pending.erase(c.id);
      AKG_RETURN_IF_ERROR(d.Log({{"observe", c.id}}));
    }
    d.CheckStop(ss.max_wall_s);
  }
  Json islands = Json::array();
  for (const auto& island : search.islands()) {
    Json members = Json::array();
    for (const auto& m : island) {
      members.push_back({{"id", m.id}, {"fitness", m.fitness}, {"home_island", m.home_island}});
    }
    islands.push_back(members);
  }
  return d.Finish({{"rounds_started", search.round()}, {"proposed", search.proposed()},
                   {"islands", islands}, {"migrations", search.migrations()}});
}

Result<WorkflowOutcome> RunAdaptiveSearch(const WorkflowContext& ctx) {
  const SearchSettings& ss = ctx.config->search;
  if (ss.max_candidates == 0 && ss.max_wall_s == 0 && ss.patience == 0) {
    return ConfigError("adaptive_search needs a budget: set search.max_candidates, "
                       "search.max_wall_s or search.patience above 0");
  }
  AdaptiveSearch search({.ucb_c = ss.ucb_c, .inspirations = ss.inspirations,
                         .seed = static_cast<uint64_t>(ss.seed)});
  StopRules stop({.max_candidates = ss.max_candidates, .max_wall_s = 0, .patience = ss.patience});
  SearchDriver d(ctx, "adaptive_search", AdaptiveSettingsJson(ss));
  AKG_RETURN_IF_ERROR(d.Start());
  ctx.emit(PhaseEvent("adaptive_search", fmt::format("up to {} candidates in flight, UCB c={}, patience {}, "
                      "at most {} candidates, seed {}", d.workers(), ss.ucb_c, ss.patience,
                      ss.max_candidates, ss.seed)));
  std::map<std::string, Proposal> pending;
  auto observe = [&](const Observation& o) {
    search.Observe(o);
    stop.Observe(o.passed, o.fitness);
  };
  AKG_RETURN_IF_ERROR(Replay(&d, &pending, [&](const Json& e) -> Result<std::vector<Proposal>> {
    Proposal p = search.Propose();
    if (!SameProposal(p, e.at("propose"))) return Diverged(p.id);
    return std::vector<Proposal>{p};
  }, observe));
  for (;;) {
    while (!d.stopping() && d.outstanding() < d.workers()) {
      if (d.CheckStop(ss.max_wall_s)) break;
      if (auto why = stop.Check(search.proposed(), d.elapsed_s())) {
        d.Stop(*why);
        break;
      }
      Proposal p = search.Propose();
      AKG_RETURN_IF_ERROR(d.Log({{"propose", ProposalJson(p)}}));
      pending[p.id] = p;
      d.Submit(p);
    }
    if (d.outstanding() == 0) break;
    d.ShowStatus(fmt::format("candidate {}{}", search.proposed(),
                             ss.max_candidates > 0 ? "/" + std::to_string(ss.max_candidates) : ""),
                 ss.max_candidates);
    CandidateRecord c = d.WaitNext();
    if (!c.skipped && !c.interrupted) {
      observe(d.Complete(c));
      pending.erase(c.id);
      AKG_RETURN_IF_ERROR(d.Log({{"observe", c.id}}));
    }
    d.CheckStop(ss.max_wall_s);
  }
  Json arms = Json::array();
  for (const auto& m : search.observed()) {
    if (!m.passed) continue;
    arms.push_back({{"id", m.id}, {"fitness", m.fitness}, {"pulls", search.bandit().Pulls(m.id)},
                    {"mean_reward", search.bandit().Mean(m.id)}});
  }
  return d.Finish({{"proposed", search.proposed()}, {"arms", arms},
                   {"since_improvement", stop.since_improvement()}});
}

}  // namespace akg
