// A small JSON-schema validator for the tests: checks a tool call's arguments against the
// tool's schema independently of llama.cpp's grammar (type, properties, required,
// additionalProperties, enum, const, minLength/maxLength, minimum/maximum, items, anyOf).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace wasi_nn::agents {

// "" when `value` is valid against `schema`; else where and why it is not.
std::string schema_error(const nlohmann::json& value, const nlohmann::json& schema, const std::string& at = "$");

}  // namespace wasi_nn::agents
