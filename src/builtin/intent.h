// Turns a one-sentence request such as "leaky relu with slope 0.2 then tanh" or "add two
// tensors" into a KernelBench-style task file, from a catalogue of named elementwise
// operators. Part of the builtin model (see kernel_gen.h for the map of the area).
//
// The parse is deliberately simple: lowercase words, fillers ("generate", "a", "kernel")
// dropped, operators matched by name or synonym (swish = silu), numbers after an operator
// taken as its parameters ("multiply by 2", "clamp between -1 and 1", "slope 0.2"), "then"
// and "and" separating steps, an optional shape such as "16x1024". A word it cannot place
// is an error, never silently ignored.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace akg {

// The task file's source (class Model, get_inputs, get_init_inputs). Fails with
// kUnsupported, naming what it could not map and listing the catalogue.
Result<std::string> TaskSourceFromIntent(const std::string& sentence);

// The catalogue's operator names, in the order error messages list them.
std::vector<std::string> IntentCatalogue();

}  // namespace akg
