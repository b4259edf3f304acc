#include "codec.h"

#include "../worker/tls_server.h"

namespace passerelle::gateway {

using control::Reader;

bool DecodeRules(Reader* r, admission::RuleSet* set) {
  uint32_t names = r->u32();
  if (!r->ok() || names > r->remaining() / 4) return false;
  for (uint32_t i = 0; i < names; i++) set->resource_names.emplace_back(r->str());
  uint32_t count = r->u32();
  // A rule takes at least 19 bytes: a count the message cannot hold is refused before any
  // memory is set aside for it.
  if (!r->ok() || count > r->remaining() / 19) return false;
  set->rules.resize(count);
  for (admission::Rule& rule : set->rules) {
    rule.allow = r->u8() != 0;
    rule.policy_index = r->i32();
    rule.resource = r->u32();
    rule.prefix.network = r->u32();
    rule.prefix.mask = r->u32();
    rule.protocols = r->u8();
    rule.covers_icmp = r->u8() != 0;
    uint16_t ports = r->u16();
    for (uint16_t i = 0; i < ports && r->ok(); i++) {
      admission::PortRange range;
      range.from = r->u16();
      range.to = r->u16();
      rule.ports.push_back(range);
    }
    if (!r->ok()) return false;
  }
  return true;
}

bool DecodeConfigure(Reader* r, Configure* out) {
  if (r->u16() != control::kProtocolVersion) return false;
  out->listen_host = std::string(r->str());
  out->listen_port = r->u16();
  out->threads = r->u16();
  out->tls_min_version = r->u8();
  out->certificate_pem = std::string(r->bytes());
  out->key_pem = std::string(r->bytes());
  for (size_t i = 0; i < control::kLimitCount; i++) out->limits[i] = r->u32();
  for (ApiResponse& answer : out->canned) {
    answer.status = r->u16();
    uint16_t headers = r->u16();
    for (uint16_t i = 0; i < headers && r->ok(); i++) {
      std::string name(r->str());
      std::string value(r->str());
      answer.headers.emplace_back(std::move(name), std::move(value));
    }
    answer.body = std::string(r->bytes());
  }
  return r->done();
}

bool DecodeReserved(Reader* r, admission::ReservedList* list) {
  uint32_t count = r->u32();
  if (!r->ok() || count > r->remaining() / 12) return false;
  for (uint32_t i = 0; i < count; i++) {
    admission::ReservedBlock block;
    block.prefix.network = r->u32();
    block.prefix.mask = r->u32();
    block.kind = std::string(r->str());
    if (!r->ok()) return false;
    list->blocks.push_back(std::move(block));
  }
  return r->done();
}

std::shared_ptr<const Settings> MakeSettings(const Configure& configure, std::string* error) {
  auto settings = std::make_shared<Settings>();
  for (size_t i = 0; i < control::kLimitCount; i++) settings->limits[i] = configure.limits[i];
  for (size_t i = 0; i < control::kCannedCount; i++) settings->canned[i] = configure.canned[i];
  settings->tls = MakeServerTls(configure.certificate_pem, configure.key_pem,
                                configure.tls_min_version, error);
  if (!settings->tls) return nullptr;
  return settings;
}

}  // namespace passerelle::gateway
