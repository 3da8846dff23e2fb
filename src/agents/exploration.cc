#include "agents/exploration.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "search/rng.h"

namespace akg {
namespace {

// "1. " / "12. " / "- " at the start of a line: the text after it, else "".
std::string ItemText(const std::string& line) {
  if (line.rfind("- ", 0) == 0) return line.substr(2);
  size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits > 0 && line.compare(digits, 2, ". ") == 0) return line.substr(digits + 2);
  return "";
}

std::string WithoutEmphasis(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '*'), text.end());
  auto end = text.find_last_not_of(" \t");
  return end == std::string::npos ? "" : text.substr(0, end + 1);
}

}  // namespace

std::vector<std::string> OptimisationIdeas(const std::string& body) {
  std::vector<std::string> ideas;
  std::istringstream in(body);
  std::string line;
  bool in_code = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) in_code = !in_code;
    if (in_code) continue;
    std::string idea = WithoutEmphasis(ItemText(line));
    if (idea.size() >= 12) ideas.push_back(idea);  // a real idea, not a stray "- x"
  }
  return ideas;
}

std::vector<std::string> OptimisationIdeas(const std::vector<const Skill*>& skills) {
  std::vector<std::string> all;
  std::set<std::string> seen;
  for (const Skill* s : skills) {
    for (std::string& idea : OptimisationIdeas(s->body)) {
      if (seen.insert(idea).second) all.push_back(std::move(idea));
    }
  }
  return all;
}

std::string ExplorationDirection(const std::vector<std::string>& ideas, uint64_t seed, int index) {
  if (ideas.empty() || index < 0) return "";
  std::vector<size_t> order(ideas.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(MixSeed(seed));
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  return ideas[order[static_cast<size_t>(index) % order.size()]];
}

}  // namespace akg
