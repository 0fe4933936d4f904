#include "schema_validator.h"

namespace wasi_nn::agents {
namespace {

using json = nlohmann::json;

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

std::string object_error(const json& v, const json& s, const std::string& at) {
  const json props = s.value("properties", json::object());
  for (const auto& r : s.value("required", json::array())) {
    if (!v.contains(r.get<std::string>())) return at + ": missing required " + r.dump();
  }
  for (const auto& [key, val] : v.items()) {
    if (props.contains(key)) {
      const std::string e = schema_error(val, props[key], at + "." + key);
      if (!e.empty()) return e;
    } else if (s.contains("additionalProperties") && s["additionalProperties"] == false) {
      return at + ": unexpected property " + key;
    }
  }
  return "";
}

std::string bounds_error(const json& v, const json& s, const std::string& at) {
  if (v.is_string()) {
    size_t n = 0;  // characters (code points), as JSON schema counts them
    for (unsigned char c : v.get<std::string>()) n += (c & 0xC0) != 0x80;
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return at + ": longer than maxLength";
    if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return at + ": shorter than minLength";
  }
  if (v.is_number()) {
    if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) return at + ": below minimum";
    if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) return at + ": above maximum";
  }
  return "";
}

}  // namespace

std::string schema_error(const json& v, const json& s, const std::string& at) {
  if (s.contains("anyOf")) {
    for (const auto& alt : s["anyOf"]) {
      if (schema_error(v, alt, at).empty()) return "";
    }
    return at + ": matches no anyOf alternative";
  }
  if (s.contains("const") && v != s["const"]) return at + ": is not the const " + s["const"].dump();
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) {
    return at + ": " + v.dump() + " is not in the enum";
  }
  if (s.contains("type") && !has_type(v, s["type"].get<std::string>())) {
    return at + ": " + v.dump() + " is not of type " + s["type"].get<std::string>();
  }
  if (v.is_object()) {
    const std::string e = object_error(v, s, at);
    if (!e.empty()) return e;
  }
  if (v.is_array() && s.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string e = schema_error(v[i], s["items"], at + "[" + std::to_string(i) + "]");
      if (!e.empty()) return e;
    }
  }
  return bounds_error(v, s, at);
}

}  // namespace wasi_nn::agents
