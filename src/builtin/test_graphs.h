// Test helpers: hand-written `inspect` results in the harness's format (torch.export nodes),
// shared by the builtin model's tests.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"

namespace akg::test_graphs {

inline Json Ref(const std::string& name) { return {{"node", name}}; }

inline Json Input(const std::string& name, int index, std::vector<int64_t> shape,
                  const std::string& dtype = "float32") {
  return {{"name", name}, {"op", "placeholder"}, {"role", "user_input"}, {"index", index},
          {"shape", shape}, {"dtype", dtype}};
}

inline Json Param(const std::string& name, std::vector<int64_t> shape) {
  return {{"name", name}, {"op", "placeholder"}, {"role", "parameter"}, {"target", name},
          {"shape", shape}, {"dtype", "float32"}};
}

inline Json Buffer(const std::string& name, std::vector<int64_t> shape) {
  return {{"name", name}, {"op", "placeholder"}, {"role", "buffer"}, {"target", name},
          {"shape", shape}, {"dtype", "float32"}};
}

inline Json Call(const std::string& name, const std::string& target, Json args,
                 std::vector<int64_t> shape, Json kwargs = Json::object(),
                 const std::string& dtype = "float32") {
  return {{"name", name}, {"op", "call_function"}, {"target", target}, {"args", args},
          {"kwargs", kwargs}, {"shape", shape}, {"dtype", dtype}};
}

inline Json Output(const std::string& name) {
  return {{"name", "output"}, {"op", "output"}, {"args", Json::array({Json::array({Ref(name)})})}};
}

// An ok inspect result around `nodes`; inputs/outputs listed from the placeholders.
inline Json Inspection(const std::vector<Json>& nodes) {
  Json inputs = Json::array();
  for (const Json& n : nodes) {
    if (n["op"] == "placeholder" && n["role"] == "user_input") {
      inputs.push_back({{"index", n["index"]}, {"kind", "tensor"}, {"shape", n["shape"]},
                        {"dtype", n["dtype"]}});
    }
  }
  return {{"ok", true}, {"inputs", inputs}, {"parameters", Json::array()},
          {"graph", {{"source", "torch.export"}, {"nodes", nodes}}}, {"graph_error", nullptr}};
}

// gelu(x) * 2 + y over x, y of `shape`.
inline Json GeluMulAdd(std::vector<int64_t> shape) {
  return Inspection({Input("x", 0, shape), Input("y", 1, shape),
                     Call("gelu", "aten.gelu.default", {Ref("x")}, shape),
                     Call("mul", "aten.mul.Tensor", {Ref("gelu"), 2}, shape),
                     Call("add", "aten.add.Tensor", {Ref("mul"), Ref("y")}, shape),
                     Output("add")});
}

}  // namespace akg::test_graphs
